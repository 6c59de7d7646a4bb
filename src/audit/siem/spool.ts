import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The on-disk spool of one SIEM destination: records the SIEM has not taken
// yet, oldest first, in segment files `<n>.jsonl` (one trail line per
// record). The oldest segment is read from `cursor.json` (segment and byte
// offset of the first record not delivered); delivered segments are deleted.
// Bounded in bytes: the sum of the segment files never passes maxBytes, and
// making room deletes the oldest segment (its records are reported dropped).
// Writes are synchronous and not fsync'ed: a page-cache write keeps the
// order without awaiting, and the file trail is the durable copy.

/** One record as the spool holds it: its seq and its trail line (no newline). */
export interface SpoolRecord {
  seq: number;
  line: string;
}

/** Records dropped to make room: how many and the seqs of the first and last. */
export interface SpoolDrop {
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

interface Segment {
  index: number;
  bytes: number;
  records: number;
  lastSeq: number | null;
}

/** A batch read from the oldest segment, in flight to the SIEM. */
export interface SpoolBatch {
  records: SpoolRecord[];
  segment: number;
  bytes: number;
  /** The segment was dropped while the batch was in flight. */
  orphaned: boolean;
}

const CURSOR = 'cursor.json';
const SEGMENT_RE = /^(\d{12})\.jsonl$/;
const SEQ_RE = /^\{"seq":(\d+),/;

export const seqOf = (line: string): number | null => {
  const m = SEQ_RE.exec(line);
  return m ? Number(m[1]) : null;
};

export class Spool {
  private segments: Segment[] = [];
  /** Byte offset and record count already delivered in segments[0]. */
  private headOffset = 0;
  private headDone = 0;
  private fd: number | null = null;
  private inflight: SpoolBatch | null = null;
  private nextIndex = 1;
  /** The newest record this destination has been handed (spooled or delivered); null before the first run. */
  private handed: number | null = null;
  private readonly segmentBytes: number;

  private constructor(readonly dir: string, readonly maxBytes: number) {
    // Eight segments per spool: a drop loses at most an eighth of it at once.
    this.segmentBytes = Math.max(1024, Math.floor(maxBytes / 8));
  }

  /** Opens (creating) the folder and picks up records a previous run left. */
  static open(dir: string, maxBytes: number): Spool {
    const s = new Spool(dir, maxBytes);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const indexes = readdirSync(dir).map((n) => SEGMENT_RE.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
    for (const index of indexes) {
      const file = s.file(index);
      let text = readFileSync(file, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < Buffer.byteLength(text)) {
        // A torn last line (a crash mid-write): the record is in the trail, not here.
        text = text.slice(0, end);
        const fd = openSync(file, 'r+');
        try { ftruncateSync(fd, Buffer.byteLength(text)); } finally { closeSync(fd); }
      }
      const lines = text.split('\n').filter((l) => l.length > 0);
      s.segments.push({ index, bytes: Buffer.byteLength(text), records: lines.length, lastSeq: lines.length > 0 ? seqOf(lines[lines.length - 1]!) : null });
    }
    s.nextIndex = (indexes[indexes.length - 1] ?? 0) + 1;
    const cursor = readCursor(path.join(dir, CURSOR));
    const newest = s.segments.reduce<number | null>((n, g) => (g.lastSeq !== null && (n === null || g.lastSeq > n) ? g.lastSeq : n), null);
    s.handed = Math.max(cursor?.handed ?? -1, newest ?? -1) >= 0 ? Math.max(cursor?.handed ?? -1, newest ?? -1) : null;
    const head = s.segments[0];
    if (cursor && head && cursor.segment === head.index && cursor.offset <= head.bytes) {
      s.headOffset = cursor.offset;
      s.headDone = Buffer.from(readFileSync(s.file(head.index))).subarray(0, cursor.offset).toString('utf8').split('\n').length - 1;
    }
    s.dropDelivered();
    return s;
  }

  /** Records not delivered yet. */
  get count(): number {
    return this.segments.reduce((n, g) => n + g.records, 0) - this.headDone;
  }

  /**
   * The seq of the newest record this destination was handed, by this run
   * or an earlier one (null when the spool is new): a hub that was killed
   * catches up from the trail after it.
   */
  get lastHanded(): number | null {
    return this.handed;
  }

  /** Records delivered straight from memory: remembered, so a restart knows where this destination stands. */
  markDelivered(seq: number): void {
    this.handed = Math.max(this.handed ?? seq, seq);
    this.saveCursor();
  }

  /** Bytes of the segment files on disk. */
  get bytes(): number {
    return this.segments.reduce((n, g) => n + g.bytes, 0);
  }

  /**
   * Appends records in order. With `dropOldest`, room is made by deleting
   * the oldest segments (reported through `onDrop`); without, the spool may
   * pass its bound (the caller admitted the records against it). `together`
   * keeps the records in one segment (a batch that must settle as one).
   */
  append(records: SpoolRecord[], opts: { dropOldest: boolean; together?: boolean; onDrop: (d: SpoolDrop) => void }): void {
    if (records.length === 0) return;
    if (opts.together) {
      const bytes = records.reduce((n, r) => n + Buffer.byteLength(r.line) + 1, 0);
      this.makeRoom(bytes, opts);
      this.rollIfFull(bytes);
      this.write(records);
      return;
    }
    for (const r of records) {
      const bytes = Buffer.byteLength(r.line) + 1;
      if (opts.dropOldest && bytes > this.maxBytes) {
        // Larger than the whole spool: the record itself is dropped, the spool kept.
        opts.onDrop({ records: 1, firstSeq: r.seq, lastSeq: r.seq });
        this.handed = Math.max(this.handed ?? r.seq, r.seq);
        continue;
      }
      this.makeRoom(bytes, opts);
      this.rollIfFull(bytes);
      this.write([r]);
    }
  }

  /** Up to `max` records from the oldest segment, marked in flight until settle(). */
  take(max: number): SpoolBatch | null {
    const head = this.segments[0];
    if (!head || this.inflight || this.headDone >= head.records) return null;
    const fd = openSync(this.file(head.index), 'r');
    try {
      let want = 64 * 1024;
      for (;;) {
        const len = Math.min(want, head.bytes - this.headOffset);
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, this.headOffset);
        const end = buf.lastIndexOf(0x0a) + 1;
        if (end === 0 && len < head.bytes - this.headOffset) {
          want *= 2; // one record longer than the read
          continue;
        }
        const records: SpoolRecord[] = [];
        let bytes = 0;
        for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
          if (line.length === 0 || records.length >= max) break;
          records.push({ seq: seqOf(line) ?? 0, line });
          bytes += Buffer.byteLength(line) + 1;
        }
        this.inflight = { records, segment: head.index, bytes, orphaned: false };
        return this.inflight;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Marks records that are already on their way (a batch sent from memory,
   * spilled here while in flight) as the in-flight batch: they must be the
   * first records in the spool, appended with `together`.
   */
  adopt(records: SpoolRecord[]): SpoolBatch {
    const head = this.segments[0]!;
    const bytes = records.reduce((n, r) => n + Buffer.byteLength(r.line) + 1, 0);
    this.inflight = { records, segment: head.index, bytes, orphaned: false };
    return this.inflight;
  }

  /** The in-flight batch reached the SIEM (ok) or did not; its records leave the spool only when delivered. */
  settle(batch: SpoolBatch, ok: boolean): void {
    if (this.inflight === batch) this.inflight = null;
    if (!ok || batch.orphaned) return;
    this.headOffset += batch.bytes;
    this.headDone += batch.records.length;
    this.dropDelivered();
    this.saveCursor();
  }

  /** Creates the cursor of a new spool, so the next run knows this destination has seen the trail up to `seq`. */
  startAt(seq: number): void {
    if (this.handed === null) this.markDelivered(seq);
  }

  private saveCursor(): void {
    writeCursor(path.join(this.dir, CURSOR), { segment: this.segments[0]?.index ?? 0, offset: this.headOffset, handed: this.handed });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private file(index: number): string {
    return path.join(this.dir, `${String(index).padStart(12, '0')}.jsonl`);
  }

  private makeRoom(bytes: number, opts: { dropOldest: boolean; onDrop: (d: SpoolDrop) => void }): void {
    if (!opts.dropOldest) return;
    while (this.bytes + bytes > this.maxBytes && this.segments.length > 0) {
      if (this.segments.length === 1) this.roll(); // the only segment is also the one written: start another
      if (this.segments.length === 1) break; // it was empty
      opts.onDrop(this.dropHead());
    }
  }

  /** Deletes the oldest segment; what of it was neither delivered nor in flight is dropped. */
  private dropHead(): SpoolDrop {
    const head = this.segments.shift()!;
    let skip = this.headDone;
    let offset = this.headOffset;
    if (this.inflight && this.inflight.segment === head.index) {
      this.inflight.orphaned = true;
      skip += this.inflight.records.length;
      offset += this.inflight.bytes;
    }
    const records = head.records - skip;
    let firstSeq: number | null = null;
    if (records > 0) {
      const fd = openSync(this.file(head.index), 'r');
      try {
        const buf = Buffer.alloc(Math.min(64, head.bytes - offset));
        readSync(fd, buf, 0, buf.length, offset);
        firstSeq = seqOf(buf.toString('utf8'));
      } finally {
        closeSync(fd);
      }
    }
    unlinkSync(this.file(head.index));
    this.headOffset = 0;
    this.headDone = 0;
    return { records, firstSeq, lastSeq: records > 0 ? head.lastSeq : null };
  }

  /** Deletes fully delivered segments (the last one too: the next append starts a new one). */
  private dropDelivered(): void {
    for (let head = this.segments[0]; head && this.headDone >= head.records && !(this.inflight?.segment === head.index); head = this.segments[0]) {
      if (this.segments.length === 1 && this.fd !== null) {
        closeSync(this.fd);
        this.fd = null;
      }
      this.segments.shift();
      if (existsSync(this.file(head.index))) unlinkSync(this.file(head.index));
      this.headOffset = 0;
      this.headDone = 0;
    }
  }

  private rollIfFull(bytes: number): void {
    const last = this.segments[this.segments.length - 1];
    if (!last || (last.records > 0 && last.bytes + bytes > this.segmentBytes)) this.roll();
  }

  /** Starts a new write segment (unless the last one is still empty). */
  private roll(): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.records === 0) return;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.segments.push({ index: this.nextIndex++, bytes: 0, records: 0, lastSeq: null });
  }

  private write(records: SpoolRecord[]): void {
    const seg = this.segments[this.segments.length - 1]!;
    if (this.fd === null) {
      this.fd = openSync(this.file(seg.index), 'a', 0o600);
      seg.bytes = fstatSync(this.fd).size;
    }
    const buf = Buffer.from(records.map((r) => `${r.line}\n`).join(''), 'utf8');
    writeSync(this.fd, buf, 0, buf.length);
    seg.bytes += buf.length;
    seg.records += records.length;
    seg.lastSeq = records[records.length - 1]!.seq;
    this.handed = Math.max(this.handed ?? seg.lastSeq, seg.lastSeq);
  }
}

interface Cursor {
  segment: number;
  offset: number;
  handed: number | null;
}

function readCursor(file: string): Cursor | null {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { segment?: unknown; offset?: unknown; handed?: unknown };
    return typeof c.segment === 'number' && typeof c.offset === 'number'
      ? { segment: c.segment, offset: c.offset, handed: typeof c.handed === 'number' ? c.handed : null }
      : null;
  } catch {
    return null;
  }
}

function writeCursor(file: string, c: Cursor): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(c), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Whether `dir` can hold a spool (created when missing): start-up refuses a folder it cannot write. */
export function spoolDirProblem(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
    const probe = path.join(dir, `.probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
    return null;
  } catch (err) {
    return `${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}
