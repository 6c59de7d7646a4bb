import { mkdirSync, renameSync, statSync, existsSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { headName, rotatedName, rotatedNumbers } from './files.js';
import { AUDIT_COMPONENT, GENESIS_HASH, recordHash, type AuditRecord } from './record.js';

/** A record before the log numbers and chains it. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'component' | 'timestamp'> & { timestamp?: string };

export interface AuditLogOptions {
  /** Rotate once the file would grow past this many bytes. Default 50 MiB. */
  maxBytes?: number;
  /** fdatasync after each batch (default true). Off only for benchmarks. */
  sync?: boolean;
}

interface Pending {
  entry: AuditEntry;
  resolve: (r: AuditRecord) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 512;

/**
 * The append-only, hash-chained audit file. One writer: records queue in
 * memory, and whatever queued while the previous write was in flight goes
 * out as one write + one fdatasync (group commit). `append` resolves only
 * once its bytes are on disk, and rejects when they could not be written.
 */
export class AuditLog {
  private fh: FileHandle | null = null;
  private ino = -1;
  private size = 0;
  private seq = 0;
  private lastHash = GENESIS_HASH;
  private queue: Pending[] = [];
  private writing = false;
  private closed = false;
  private readonly maxBytes: number;
  private readonly sync: boolean;

  private constructor(readonly file: string, opts: AuditLogOptions) {
    this.maxBytes = opts.maxBytes ?? 50 * 1024 * 1024;
    this.sync = opts.sync !== false;
  }

  /** Opens (creating folders) and continues the chain from the last record on disk. */
  static async open(file: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    const log = new AuditLog(path.resolve(file), opts);
    mkdirSync(path.dirname(log.file), { recursive: true });
    const last = (await lastRecord(log.file)) ?? (await lastRotatedRecord(log.file));
    if (last) {
      log.seq = last.seq;
      log.lastHash = last.hash;
    }
    await log.reopen();
    return log;
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new Error('audit log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const startSeq = this.seq;
    const startHash = this.lastHash;
    const records: AuditRecord[] = [];
    const lines: string[] = [];
    for (const p of batch) {
      const r = this.chain(p.entry);
      records.push(r);
      lines.push(`${JSON.stringify(r)}\n`);
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    try {
      await this.ensureFile(bytes.length);
      const fh = this.fh!;
      await fh.write(bytes, 0, bytes.length, null);
      if (this.sync) await fh.datasync();
      this.size += bytes.length;
      await this.writeHead().catch(() => undefined); // the records are durable; the anchor is best effort
    } catch (err) {
      // Nothing of this batch counts: the callers fail their requests closed.
      this.seq = startSeq;
      this.lastHash = startHash;
      await this.fh?.close().catch(() => undefined);
      this.fh = null;
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => p.resolve(records[i]!));
  }

  private chain(entry: AuditEntry): AuditRecord {
    const { timestamp, ...rest } = entry;
    const unsigned = {
      seq: this.seq + 1,
      timestamp: timestamp ?? new Date().toISOString(),
      ...rest,
      component: AUDIT_COMPONENT,
      prevHash: this.lastHash,
    } as Omit<AuditRecord, 'hash'>;
    const hash = recordHash(unsigned);
    this.seq += 1;
    this.lastHash = hash;
    return { ...unsigned, hash };
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
    }
  }

  private async reopen(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    const fh = await open(this.file, 'a', 0o600);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new Error(`audit file ${this.file} is not a regular file`);
    }
    this.fh = fh;
    this.ino = st.ino;
    this.size = st.size;
  }

  /** `<file>.head`: the last seq and hash, so verify notices records cut from the end. */
  private async writeHead(): Promise<void> {
    const fh = await open(headName(this.file), 'w', 0o600);
    try {
      await fh.write(`${JSON.stringify({ seq: this.seq, hash: this.lastHash })}\n`);
    } finally {
      await fh.close();
    }
  }
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
