import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { lockName } from './files.js';

// One writer per trail, across processes: `<file>.lock` holds the writer's
// pid. It is created atomically with its content (written to a private
// temporary file, then hard-linked to the lock name, which fails if the name
// exists), so a reader never sees a half-written lock. A lock whose pid is
// dead, or is this process's own pid without this process holding it (a
// container restarted as the same pid), is stale and taken over.

export class AuditLockedError extends Error {
  constructor(
    readonly file: string,
    readonly holder: number | null,
  ) {
    super(
      holder !== null
        ? `audit trail ${file} is in use by another hub (pid ${holder}, lock ${lockName(file)}): stop that hub, or give this one its own security.audit.file`
        : `audit trail ${file} is locked by ${lockName(file)}, which holds no pid: remove it if no hub is running`,
    );
  }
}

/** Locks this process holds (one per trail), released on close or at exit. */
const held = new Set<string>();
let exitHook = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function holderOf(lock: string): number | null | 'gone' {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** How long a live holder is waited for: a hub restarting while the old one still shuts down. */
export const DEFAULT_LOCK_WAIT_MS = 5000;

/**
 * Takes the lock of `file`, waiting up to `waitMs` for a live holder to
 * let go, or throws AuditLockedError naming the holder.
 */
export async function acquireTrailLock(file: string, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<void> {
  const lock = lockName(file);
  if (held.has(lock)) throw new AuditLockedError(file, process.pid);
  const tmp = `${lock}.${process.pid}.tmp`;
  const deadline = Date.now() + waitMs;
  let takeovers = 0;
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (;;) {
      try {
        linkSync(tmp, lock);
        held.add(lock);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', releaseAll);
        }
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = holderOf(lock);
      if (holder === 'gone') continue;
      if (holder === null) throw new AuditLockedError(file, null);
      if (holder === process.pid || !alive(holder)) {
        // Stale: its writer is gone. (Two hubs taking over the same stale lock at
        // the same instant could both succeed; starting two at once after a crash
        // is the one case this lock does not cover.)
        if (++takeovers > 3) throw new AuditLockedError(file, holder);
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new AuditLockedError(file, holder);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function releaseTrailLock(file: string): void {
  const lock = lockName(file);
  if (!held.delete(lock)) return;
  if (holderOf(lock) === process.pid) {
    try {
      unlinkSync(lock);
    } catch {
      // already removed by hand
    }
  }
}

/** At exit (also process.exit after a failed start-up): no lock outlives its process. */
function releaseAll(): void {
  for (const lock of [...held]) releaseTrailLock(lock.slice(0, -'.lock'.length));
}
