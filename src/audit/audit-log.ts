import { constants, mkdirSync, renameSync, statSync, existsSync } from 'node:fs';
import { open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { chainPointText, HEAD_BYTES, readChainPoint, type ChainPoint } from './anchors.js';
import { anchorName, headName, rotatedName, rotatedNumbers } from './files.js';
import { acquireTrailLock, releaseTrailLock } from './lock.js';
import { AUDIT_COMPONENT, canonicalJson, GENESIS_HASH, recordHash, recordLine, type AuditRecord } from './record.js';

/** A record before the log numbers and chains it. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'component' | 'timestamp'> & { timestamp?: string };

export interface AuditLogOptions {
  /** Rotate once the file would grow past this many bytes. Default 50 MiB. */
  maxBytes?: number;
  /** Rotated files kept (`<file>.1` ... `<file>.N`); older ones are deleted at rotation. Default 10. */
  maxFiles?: number;
  /** Rotated files last written longer ago than this are deleted too. Default: no age limit. */
  maxAgeDays?: number;
  /** How long to wait for another live writer to release the trail's lock. Default 5000 ms. */
  lockWaitMs?: number;
  /** Each group's bytes and head durable before its callers go on (O_DSYNC writes; default true). Off only for benchmarks. */
  sync?: boolean;
  /** Told of each group once it is durable, before its callers resolve: the records and their lines as written (the SIEM sink). */
  onWritten?: (records: { record: AuditRecord; line: string }[]) => void;
}

export const DEFAULT_MAX_FILES = 10;

interface Pending {
  entry: AuditEntry;
  /** The canonical JSON of entry.metadata, when the caller made it already. */
  metadataJson: string | undefined;
  resolve: (r: AuditRecord) => void;
  reject: (e: unknown) => void;
}

/** One group: its records chained, its bytes, and where the chain and the file stood before it. */
interface Group {
  batch: Pending[];
  records: AuditRecord[];
  lines: string[];
  bytes: Buffer;
  startSeq: number;
  startHash: string;
  /** The chain's end once this group is in: what its head update writes. */
  end: ChainPoint;
  /** Where its bytes went, once written (undo truncates there). */
  written?: { fh: FileHandle; at: number };
}

/** Groups and head updates written since the trail opened (a test and `/metrics` read them). */
export interface AuditLogStats {
  records: number;
  groups: number;
  headWrites: number;
}

const MAX_BATCH = 512;

/**
 * With `sync`, both files are opened O_DSYNC: each write returns once its
 * bytes (and the size that finds them) are on disk, as a write followed by
 * fdatasync would, in one trip to the thread pool instead of two.
 */
const DSYNC = constants.O_DSYNC;
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

/**
 * The append-only, hash-chained audit file. One writer: records queue in
 * memory, and whatever queued while the previous group's write was in
 * flight goes out as the next group: one write, durable when it returns
 * (O_DSYNC: write and fdatasync in one thread-pool trip; group commit).
 * Each group's head update (`.head`, one per group) runs while the
 * next group's bytes are written and synced, so the disk is never idle
 * waiting for the other file; a group's records resolve only once both its
 * bytes and its head are durable. `append` rejects when they could not be.
 */
export class AuditLog {
  private fh: FileHandle | null = null;
  private ino = -1;
  private head: FileHandle | null = null;
  private headIno = -1;
  private size = 0;
  private seq = 0;
  private lastHash = GENESIS_HASH;
  private queue: Pending[] = [];
  /** Set when a failed group could not be cut off: the chain goes on from the file's last record. */
  private fromFile: ChainPoint | null = null;
  /** Written and synced, waiting for its head update. */
  private unheaded: Group | null = null;
  private writing = false;
  private closed = false;
  private readonly counts: AuditLogStats = { records: 0, groups: 0, headWrites: 0 };
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly maxAgeMs: number | null;
  private readonly sync: boolean;
  private readonly onWritten: AuditLogOptions['onWritten'];

  private constructor(readonly file: string, opts: AuditLogOptions) {
    this.maxBytes = opts.maxBytes ?? 50 * 1024 * 1024;
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
    this.maxAgeMs = opts.maxAgeDays !== undefined ? opts.maxAgeDays * 86_400_000 : null;
    this.sync = opts.sync !== false;
    this.onWritten = opts.onWritten;
  }

  /**
   * Takes the trail's lock (one writer per trail, across processes: a
   * second hub on the same file stops here), opens it (creating folders) and
   * continues the chain from the last record on disk, else from the start
   * anchor (every older record deleted by retention).
   */
  static async open(file: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    const log = new AuditLog(path.resolve(file), opts);
    mkdirSync(path.dirname(log.file), { recursive: true });
    await acquireTrailLock(log.file, opts.lockWaitMs);
    try {
      const last = (await lastRecord(log.file)) ?? (await lastRotatedRecord(log.file)) ?? startAnchor(log.file);
      if (last) {
        log.seq = last.seq;
        log.lastHash = last.hash;
      }
      await log.reopen();
      await log.retain(); // finishes a retention a crash interrupted
    } catch (err) {
      await log.fh?.close().catch(() => undefined);
      releaseTrailLock(log.file);
      throw err;
    }
    return log;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Records, groups and head updates that became durable since open. */
  get stats(): Readonly<AuditLogStats> {
    return { ...this.counts };
  }

  /**
   * Queues one record; resolves once it is durable. `metadataJson`: the
   * canonical JSON of `entry.metadata` when the caller has it (the sink
   * measured the record by it), so the metadata is serialized once for both
   * the hash and the line (which then holds it with sorted keys).
   */
  append(entry: AuditEntry, metadataJson?: string): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new Error('audit log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, metadataJson, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.fh?.close().catch(() => undefined);
    await this.head?.close().catch(() => undefined);
    this.fh = null;
    this.head = null;
    releaseTrailLock(this.file);
  }

  /**
   * A two-stage pipeline: each turn writes and syncs the next group while
   * the previous group's head is written and synced. The head only ever
   * names records already durable (written in an earlier turn), so a crash
   * leaves it at or behind the file, never ahead.
   */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 || this.unheaded) {
        if (this.queue.length === 0) {
          await this.finishHead();
          continue;
        }
        const batch = this.queue.splice(0, MAX_BATCH);
        let group = this.prepare(batch);
        // A rotation or a reopened file moves the next bytes to another file: the
        // previous group is finished first, so a failed head never has to cut two files.
        if (this.unheaded && this.movesFile(group.bytes.length) && !(await this.finishHead())) group = this.prepare(batch);
        await this.turn(group);
      }
    } finally {
      this.writing = false;
    }
  }

  /** Chains a batch from the current end: its records, lines and bytes. */
  private prepare(batch: Pending[]): Group {
    const startSeq = this.seq;
    const startHash = this.lastHash;
    const records: AuditRecord[] = [];
    const lines: string[] = [];
    for (const p of batch) {
      const metadataJson = p.metadataJson ?? canonicalJson(p.entry.metadata);
      const r = this.chain(p.entry, metadataJson);
      records.push(r);
      lines.push(`${recordLine(r, metadataJson)}\n`);
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    return { batch, records, lines, bytes, startSeq, startHash, end: { seq: this.seq, hash: this.lastHash } };
  }

  /** One turn: this group's bytes and the previous group's head, side by side. */
  private async turn(group: Group): Promise<void> {
    const previous = this.unheaded;
    this.unheaded = null;
    const [data, head] = await Promise.allSettled([this.writeData(group), previous ? this.writeHead(previous.end) : Promise.resolve()]);
    if (previous && head.status === 'rejected') {
      // The previous group fails like a failed write, and this one was chained
      // (and maybe written) after it: both are cut off and consume no seq.
      if (data.status === 'fulfilled') await this.undo(group);
      await this.undo(previous);
      this.fail(group, head.reason);
      this.fail(previous, head.reason);
      this.fromFile = null;
      return;
    }
    if (previous) this.done(previous);
    if (data.status === 'rejected') {
      this.fail(group, data.reason);
      this.fromFile = null;
      return;
    }
    this.unheaded = group;
  }

  /** The head of the group waiting for it, alone (nothing queued behind it, or a file change next). */
  private async finishHead(): Promise<boolean> {
    const group = this.unheaded!;
    this.unheaded = null;
    try {
      await this.writeHead(group.end);
    } catch (err) {
      await this.undo(group);
      this.fail(group, err);
      this.fromFile = null;
      return false;
    }
    this.done(group);
    return true;
  }

  /** Writes and syncs a group's bytes; on failure cuts them off again (the caller fails the group). */
  private async writeData(group: Group): Promise<void> {
    try {
      await this.ensureFile(group.bytes.length);
      const fh = this.fh!;
      group.written = { fh, at: this.size };
      // Durable on return (O_DSYNC). A short write (a full disk) fails the group: undo cuts off what went in.
      const { bytesWritten } = await fh.write(group.bytes, 0, group.bytes.length, null);
      if (bytesWritten !== group.bytes.length) throw new Error(`audit file ${this.file}: wrote ${bytesWritten} of ${group.bytes.length} bytes`);
      this.size += group.bytes.length;
    } catch (err) {
      await this.undo(group);
      throw err;
    }
  }

  /**
   * Nothing of a failed group counts: its callers fail their requests
   * closed, the chain goes back to where it stood before the group (so the
   * next group chains on from the last record that did count; from what the
   * file holds when a cut failed), and both files are reopened before the
   * next write. With two groups, the earlier one is failed last.
   */
  private fail(group: Group, err: unknown): void {
    const back = this.fromFile ?? { seq: group.startSeq, hash: group.startHash };
    this.seq = back.seq;
    this.lastHash = back.hash;
    const fh = this.fh;
    const head = this.head;
    this.fh = null;
    this.head = null;
    void fh?.close().catch(() => undefined);
    void head?.close().catch(() => undefined);
    for (const p of group.batch) p.reject(err);
  }

  /** Bytes and head durable: the second sink hears of the group, then its callers go on. */
  private done(group: Group): void {
    this.counts.groups += 1;
    this.counts.headWrites += 1;
    this.counts.records += group.records.length;
    // In trail order, and before any caller goes on: a second sink sees every record exactly once.
    try {
      this.onWritten?.(group.records.map((record, i) => ({ record, line: group.lines[i]!.slice(0, -1) })));
    } catch {
      // The second sink counts and logs its own failures; the trail has the records.
    }
    group.batch.forEach((p, i) => p.resolve(group.records[i]!));
  }

  /** Whether the next write goes to another file than the last one (rotation, or the file moved). */
  private movesFile(incoming: number): boolean {
    if (this.size > 0 && this.size + incoming > this.maxBytes) return true;
    try {
      return statSync(this.file).ino !== this.ino;
    } catch {
      return true;
    }
  }

  /** Truncates a failed group away; if even that fails, chains on from whatever the file holds. */
  private async undo(group: Group): Promise<void> {
    const w = group.written;
    if (!w) return;
    group.written = undefined;
    try {
      await w.fh.truncate(w.at);
      if (this.sync) await w.fh.datasync();
      if (w.fh === this.fh) this.size = Math.min(this.size, w.at);
    } catch {
      this.fromFile = await lastRecord(this.file).catch(() => null);
    }
  }

  private chain(entry: AuditEntry, metadataJson: string): AuditRecord {
    const { timestamp, ...rest } = entry;
    const unsigned = {
      seq: this.seq + 1,
      timestamp: timestamp ?? new Date().toISOString(),
      ...rest,
      component: AUDIT_COMPONENT,
      prevHash: this.lastHash,
    } as Omit<AuditRecord, 'hash'>;
    const hash = recordHash(unsigned, metadataJson);
    this.seq += 1;
    this.lastHash = hash;
    const record = unsigned as AuditRecord;
    record.hash = hash; // added last, so the line ends with it
    return record;
  }

  /**
   * Before each batch: reopen when the file was moved, deleted or replaced
   * under us (so an unwritable path fails the write instead of feeding a
   * dead inode), and rotate when the batch would pass maxBytes.
   */
  private async ensureFile(incoming: number): Promise<void> {
    let onDisk: { ino: number } | null = null;
    try {
      onDisk = statSync(this.file);
    } catch {
      onDisk = null;
    }
    if (!this.fh || !onDisk || onDisk.ino !== this.ino) await this.reopen();
    if (this.size > 0 && this.size + incoming > this.maxBytes) {
      await this.fh?.close();
      this.fh = null;
      for (const n of rotatedNumbers(this.file).reverse()) renameSync(rotatedName(this.file, n), rotatedName(this.file, n + 1));
      renameSync(this.file, rotatedName(this.file, 1));
      await this.reopen();
      await this.retain();
    }
  }

  /**
   * Deletes rotated files past maxFiles or maxAgeDays, oldest first, after
   * writing the start anchor: the seq and hash of the newest deleted record,
   * where `verify` starts the chain of the kept files. A crash between the
   * two leaves files that the next open or rotation deletes.
   */
  private async retain(): Promise<void> {
    const numbers = rotatedNumbers(this.file);
    const cutoff = this.maxAgeMs !== null ? Date.now() - this.maxAgeMs : null;
    let first: number | undefined;
    for (const n of numbers) {
      const old = cutoff !== null && (await stat(rotatedName(this.file, n))).mtimeMs < cutoff;
      if (n > this.maxFiles || old) {
        first = n;
        break;
      }
    }
    if (first === undefined) return;
    const doomed = numbers.filter((n) => n >= first); // newest first
    let point: ChainPoint | null = null;
    for (const n of doomed) {
      point = await lastRecord(rotatedName(this.file, n));
      if (point) break;
    }
    if (point) await this.writeAnchor(point);
    for (const n of [...doomed].reverse()) await unlink(rotatedName(this.file, n));
  }

  private async writeAnchor(point: ChainPoint): Promise<void> {
    const target = anchorName(this.file);
    const tmp = `${target}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.write(chainPointText(point));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  }

  private async reopen(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    const fh = await open(this.file, APPEND | (this.sync ? DSYNC : 0), 0o600);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new Error(`audit file ${this.file} is not a regular file`);
    }
    this.fh = fh;
    this.ino = st.ino;
    this.size = st.size;
  }

  /**
   * `<file>.head`: the last seq and hash, so verify notices records cut from
   * the end. Kept open and overwritten in place with one fixed-width write
   * per group (never truncated, so a crash leaves the old or the new head,
   * not an empty one); reopened when it was deleted or replaced.
   */
  private async writeHead(point: ChainPoint): Promise<void> {
    const name = headName(this.file);
    let onDisk: number | null;
    try {
      onDisk = statSync(name).ino;
    } catch {
      onDisk = null;
    }
    const reopened = !this.head || onDisk !== this.headIno;
    if (reopened) {
      await this.head?.close().catch(() => undefined);
      this.head = null;
      const flags = onDisk === null ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : constants.O_RDWR;
      const fh = await open(name, flags | (this.sync ? DSYNC : 0), 0o600);
      this.head = fh;
      this.headIno = (await fh.stat()).ino;
    }
    const head = this.head!;
    const text = Buffer.from(chainPointText(point, HEAD_BYTES), 'utf8');
    await head.write(text, 0, text.length, 0); // durable on return (O_DSYNC)
    if (reopened) {
      await head.truncate(text.length); // a longer file found there loses its tail
      if (this.sync) await head.datasync();
    }
  }
}

/** The start anchor, when retention deleted the oldest files. */
function startAnchor(file: string): ChainPoint | null {
  const r = readChainPoint(anchorName(file));
  if (r.kind === 'garbled') throw new Error(`${anchorName(file)} ${r.why}`);
  return r.kind === 'ok' ? r.point : null;
}

async function lastRecord(file: string): Promise<{ seq: number; hash: string } | null> {
  if (!existsSync(file)) return null;
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const r = JSON.parse(lines[i]!) as { seq?: unknown; hash?: unknown };
      if (typeof r.seq === 'number' && typeof r.hash === 'string') return { seq: r.seq, hash: r.hash };
    } catch {
      // a torn last line (crash mid-write): verify reports it; chain from the last whole record
    }
  }
  return null;
}

async function lastRotatedRecord(file: string): Promise<{ seq: number; hash: string } | null> {
  for (const n of rotatedNumbers(file)) {
    const r = await lastRecord(rotatedName(file, n));
    if (r) return r;
  }
  return null;
}
