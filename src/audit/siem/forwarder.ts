import type { Logger } from '../../log/logger.js';
import type { Spool, SpoolBatch, SpoolDrop, SpoolRecord } from './spool.js';
import type { SiemTransport } from './transports.js';

// Ships the trail's records to one SIEM destination without ever making a
// request wait for it. Records queue in memory while the SIEM keeps up and
// go out in batches (batchMaxRecords, or flushIntervalMs after the first);
// when a batch fails, or the queue passes its bound, everything waiting
// moves to the on-disk spool, and new records go there until the SIEM has
// taken the whole backlog, oldest first. One batch is in flight at a time.

export type DropReason = 'spool_full' | 'spool_unwritable';

export interface ForwarderOptions {
  transport: SiemTransport;
  spool: Spool;
  batchMaxRecords: number;
  flushIntervalMs: number;
  retryMaxMs: number;
  /** Refuse new records (admit() false) instead of dropping the oldest when the spool is full. */
  failClosed: boolean;
  /** The largest record the trail writes: what one admission reserves. */
  maxRecordBytes: number;
  logger: Logger;
  onDelivered(records: number): void;
  onDrop(drop: SpoolDrop & { reason: DropReason; audit: boolean }): void;
}

/** A batch in flight: from memory, or (read from or spilled to) the spool. */
interface InFlight {
  records: SpoolRecord[];
  spooled: SpoolBatch | null;
}

const RETRY_FIRST_MS = 250;

export class SiemForwarder {
  private memory: SpoolRecord[] = [];
  private memoryBytes = 0;
  private inflight: InFlight | null = null;
  private reserved = 0;
  private down = false;
  private unwritable = false;
  private closing = false;
  private firstPendingAt = 0;
  private waiter: (() => void) | null = null;
  private readonly loop: Promise<void>;
  private readonly memoryMax: number;

  constructor(private readonly o: ForwarderOptions) {
    this.memoryMax = o.batchMaxRecords * 4;
    this.loop = this.run();
  }

  get name(): string {
    return this.o.transport.name;
  }

  /** Records waiting in memory (with a batch in flight from memory). */
  get queueDepth(): number {
    return this.memory.length + (this.inflight && !this.inflight.spooled ? this.inflight.records.length : 0);
  }

  get spooledRecords(): number {
    return this.o.spool.count;
  }

  get spoolBytes(): number {
    return this.o.spool.bytes;
  }

  /**
   * With failClosed: whether one more record fits (spool, memory and records
   * admitted but not yet written, each counted at maxRecordBytes); the
   * returned function gives the reservation back once the record is queued
   * or failed. Without failClosed every record is admitted.
   */
  admit(): (() => void) | null {
    if (!this.o.failClosed) return () => undefined;
    const inflightBytes = this.inflight && !this.inflight.spooled ? bytesOf(this.inflight.records) : 0;
    if (this.o.spool.bytes + this.memoryBytes + inflightBytes + this.reserved + this.o.maxRecordBytes > this.o.spool.maxBytes) return null;
    this.reserved += this.o.maxRecordBytes;
    let given = false;
    return () => {
      if (!given) this.reserved -= this.o.maxRecordBytes;
      given = true;
    };
  }

  /** The seq of the newest record this destination was handed, by this run or an earlier one (null: a new spool). */
  get lastHanded(): number | null {
    return this.o.spool.lastHanded;
  }

  /** A new destination starts at the trail's end: the records before it are not shipped. */
  startAt(seq: number): void {
    this.o.spool.startAt(seq);
  }

  /** Records the trail has written, in trail order. */
  enqueue(records: SpoolRecord[]): void {
    if (this.down || this.o.spool.count > 0) {
      this.toSpool(records);
    } else {
      if (this.memory.length === 0) this.firstPendingAt = Date.now();
      this.memory.push(...records);
      this.memoryBytes += bytesOf(records);
      if (this.queueDepth > this.memoryMax) this.spill();
    }
    this.wake();
  }

  /** Sends what is in memory (waiting at most about timeoutMs), spools the rest, and stops. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    await this.loop;
    this.spill();
    this.o.spool.close();
    this.o.transport.close();
  }

  private async run(): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    for (;;) {
      const pending = this.memory.length + this.o.spool.count;
      if (this.closing && (this.memory.length === 0 || this.down)) return;
      if (pending === 0) {
        await this.wait();
        continue;
      }
      const due = this.firstPendingAt + this.o.flushIntervalMs - Date.now();
      if (!this.closing && this.o.spool.count === 0 && this.memory.length < this.o.batchMaxRecords && due > 0) {
        await this.wait(due);
        continue;
      }
      const backlog = this.o.spool.count;
      const batch = this.next();
      if (!batch) {
        await this.wait();
        continue;
      }
      const ok = await this.o.transport.send(batch.records.map((r) => r.line)).then(() => null, (err: unknown) => err as Error);
      this.settle(batch, ok === null);
      if (ok === null) {
        if (this.down) this.o.logger.info(`SIEM ${this.name} reachable again: sending the ${backlog} spooled records`, { sink: this.name });
        this.down = false;
        retryMs = RETRY_FIRST_MS;
        continue;
      }
      if (!this.down) this.o.logger.warn(`SIEM ${this.name} unreachable, spooling records: ${ok.message}`, { sink: this.name, error: ok.message });
      this.down = true;
      if (this.closing) return;
      await this.sleep(retryMs);
      retryMs = Math.min(retryMs * 2, this.o.retryMaxMs);
    }
  }

  /** The oldest records first: the spool's, else memory's. */
  private next(): InFlight | null {
    if (this.o.spool.count > 0) {
      const spooled = this.o.spool.take(this.o.batchMaxRecords);
      this.inflight = spooled ? { records: spooled.records, spooled } : null;
    } else {
      const records = this.memory.splice(0, this.o.batchMaxRecords);
      this.memoryBytes -= bytesOf(records);
      this.inflight = records.length > 0 ? { records, spooled: null } : null;
      this.firstPendingAt = Date.now();
    }
    return this.inflight;
  }

  private settle(batch: InFlight, ok: boolean): void {
    this.inflight = null;
    const n = batch.records.length;
    if (batch.spooled) {
      this.o.spool.settle(batch.spooled, ok);
      if (ok) this.o.onDelivered(n);
      else if (batch.spooled.orphaned) for (const run of seqRuns(batch.records)) this.dropped(run, 'spool_full');
      return;
    }
    if (ok) {
      this.o.onDelivered(n);
      this.o.spool.markDelivered(batch.records[n - 1]!.seq);
      return;
    }
    // Back in front of what queued meanwhile, and all of it to disk.
    this.memory.unshift(...batch.records);
    this.memoryBytes += bytesOf(batch.records);
    this.spill();
  }

  /** Everything in memory to the spool, a batch in flight from memory first (it settles from there). */
  private spill(): void {
    const flying = this.inflight && !this.inflight.spooled ? this.inflight : null;
    if (flying) {
      if (this.toSpool(flying.records, true)) flying.spooled = this.o.spool.adopt(flying.records);
    }
    const records = this.memory;
    this.memory = [];
    this.memoryBytes = 0;
    this.toSpool(records);
  }

  private toSpool(records: SpoolRecord[], together = false): boolean {
    if (records.length === 0) return true;
    try {
      this.o.spool.append(records, { dropOldest: !this.o.failClosed, together, onDrop: (d) => this.dropped(d, 'spool_full') });
      this.unwritable = false;
      return true;
    } catch (err) {
      this.o.logger.error(`SIEM ${this.name} spool cannot be written: ${(err as Error).message}`, { sink: this.name });
      // Only the first drop of a run of failed writes is audited: its record would be spooled and fail again.
      let first = true;
      for (const run of seqRuns(records)) {
        this.dropped(run, 'spool_unwritable', first && !this.unwritable);
        first = false;
      }
      this.unwritable = true;
      return false;
    }
  }

  /** One drop record per contiguous run of seqs, so firstSeq..lastSeq always names exactly the records lost. */
  private dropped(d: SpoolDrop, reason: DropReason, audit = true): void {
    if (d.records === 0) return;
    this.o.logger.warn(`SIEM ${this.name}: ${d.records} records dropped (${reason})`, { sink: this.name, ...d, reason });
    this.o.onDrop({ ...d, reason, audit });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Until enqueue() or close() wakes the loop, or `ms` pass. */
  private wait(ms?: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = ms !== undefined ? setTimeout(() => { this.waiter = null; resolve(); }, ms) : null;
      this.waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  /** A retry pause only close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.waiter = null; resolve(); }, ms);
      const w = () => {
        if (!this.closing) {
          this.waiter = w; // new records do not hurry a retry
          return;
        }
        clearTimeout(timer);
        resolve();
      };
      this.waiter = w;
    });
  }
}

const bytesOf = (records: SpoolRecord[]): number => records.reduce((n, r) => n + Buffer.byteLength(r.line) + 1, 0);

/** Records split into runs of consecutive seqs (a batch may hold a gap: a record that went another way). */
function seqRuns(records: readonly { seq: number }[]): SpoolDrop[] {
  const runs: SpoolDrop[] = [];
  for (const r of records) {
    const last = runs[runs.length - 1];
    if (last && last.lastSeq === r.seq - 1) {
      last.lastSeq = r.seq;
      last.records++;
    } else runs.push({ records: 1, firstSeq: r.seq, lastSeq: r.seq });
  }
  return runs;
}
