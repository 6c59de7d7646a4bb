// Bundle lifecycle: watch the local bundle file and hand new bytes to the
// store. The directory is watched (not the file), so both an in-place write
// and a rename over the file are seen. Events are debounced; the file is
// re-stat'ed until its size and mtime hold still, read, and skipped when its
// bytes are the ones last handed over. A half-written archive that still
// slips through fails validation and the store keeps the active policy; the
// finished write fires again.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { ActivationResult, PolicyStore } from './policy-store.js';

export interface FileWatcherOptions {
  /** Quiet time after the last change event before reading. Default 200 ms. */
  debounceMs?: number;
  logger?: Logger;
  /** Called after each check that handed bytes to the store (tests, bench). */
  onResult?: (result: ActivationResult) => void;
}

export interface FileWatcherStatus {
  kind: 'file';
  path: string;
  watching: boolean;
  lastCheckAt: string | null;
  lastResult: ActivationResult['result'] | null;
  lastError: string | null;
}

/** Background component contract shared by the bundle updaters (start, stop, status for /health). */
export interface BundleUpdater {
  start(): void;
  stop(): Promise<void>;
  status(): FileWatcherStatus | { kind: 'service' } & object;
}

export class BundleFileWatcher implements BundleUpdater {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private again = false;
  private lastDigest: string;
  /** Digest of a truncated-looking file given one more quiet period. */
  private deferred: string | undefined;
  private readonly dir: string;
  private readonly base: string;
  private readonly debounceMs: number;
  private readonly log: Logger;
  private state: Omit<FileWatcherStatus, 'kind' | 'path' | 'watching'> = { lastCheckAt: null, lastResult: null, lastError: null };

  constructor(
    readonly file: string,
    private readonly store: PolicyStore,
    private readonly opts: FileWatcherOptions = {},
  ) {
    this.dir = path.dirname(path.resolve(file));
    this.base = path.basename(file);
    this.debounceMs = opts.debounceMs ?? 200;
    this.log = (opts.logger ?? silentLogger).child({ component: 'policy-watch' });
    this.lastDigest = store.digest;
  }

  start(): void {
    if (this.watcher) return;
    this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      // Some platforms omit the name; then any change in the folder counts.
      if (name === null || name === this.base) this.schedule();
    });
    this.watcher.on('error', (err) => {
      this.state.lastError = `watch failed: ${err.message}`;
      this.log.error('bundle watch failed', { path: this.file, reason: err.message });
    });
    this.log.info('watching policy bundle', { path: this.file, debounceMs: this.debounceMs });
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.again = false;
    await this.running;
  }

  private schedule(): void {
    if (!this.watcher) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) {
        this.again = true; // a check is in flight: run once more after it
        return;
      }
      this.running = this.check().finally(() => {
        this.running = null;
        if (this.again && this.watcher) {
          this.again = false;
          this.schedule();
        }
      });
    }, this.debounceMs);
  }

  /** Reads the file once it holds still and hands changed bytes to the store. */
  async check(): Promise<ActivationResult | null> {
    this.state.lastCheckAt = new Date().toISOString();
    let bytes: Buffer;
    try {
      const before = await stat(this.file);
      bytes = await readFile(this.file);
      const after = await stat(this.file);
      if (before.size !== after.size || before.mtimeMs !== after.mtimeMs || bytes.length !== after.size) {
        this.schedule(); // still being written
        return null;
      }
    } catch (err) {
      // Missing mid-rename or deleted: keep the active policy, wait for the next event.
      const reason = err instanceof Error ? err.message : String(err);
      this.state.lastError = reason;
      this.log.warn('policy bundle not readable; keeping the active policy', { path: this.file, reason });
      return null;
    }
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest === this.lastDigest) return null;
    // A writer preempted mid-write can leave a file that holds still for a
    // moment: a truncated gzip gets one more quiet period before it is judged.
    if (this.deferred !== digest && isTruncatedGzip(bytes)) {
      this.deferred = digest;
      this.schedule();
      return null;
    }
    this.deferred = undefined;
    this.lastDigest = digest;
    const result = await this.store.activate({ bytes, source: `file:${this.file}` });
    this.state.lastResult = result.result;
    this.state.lastError = result.result === 'rejected' ? result.reason : null;
    this.opts.onResult?.(result);
    return result;
  }

  status(): FileWatcherStatus {
    return { kind: 'file', path: this.file, watching: this.watcher !== null, ...this.state };
  }
}

/** True when the bytes are a gzip stream cut short (what a half-finished write looks like). */
function isTruncatedGzip(bytes: Buffer): boolean {
  try {
    gunzipSync(bytes);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
  }
}
