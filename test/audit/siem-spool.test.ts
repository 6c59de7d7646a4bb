// The SIEM sink's on-disk spool (src/audit/siem/spool.ts) on a real folder:
// what a later run picks up (the delivery cursor, a torn last line), and the
// byte bound, which drops the oldest records but never one in flight.
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Spool, type SpoolDrop, type SpoolRecord } from '../../src/audit/siem/spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hatago-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rec = (seq: number, pad = 100): SpoolRecord => ({ seq, line: JSON.stringify({ seq, pad: 'x'.repeat(pad) }) });
const range = (from: number, to: number, pad?: number) => Array.from({ length: to - from + 1 }, (_, i) => rec(from + i, pad));
const keep = { dropOldest: true, onDrop: (d: SpoolDrop) => { throw new Error(`unexpected drop ${JSON.stringify(d)}`); } };
/** Takes and delivers batch after batch (one segment at a time) until the spool is empty. */
function drain(s: Spool): number[] {
  const seqs: number[] = [];
  for (let b = s.take(1000); b; b = s.take(1000)) {
    seqs.push(...b.records.map((r) => r.seq));
    s.settle(b, true);
  }
  return seqs;
}
const diskBytes = () => readdirSync(dir).filter((f) => f.endsWith('.jsonl')).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);

it('a reopened spool goes on after the last delivered record, and a torn last line is cut off', () => {
  const s = Spool.open(dir, 1 << 20);
  s.append(range(1, 10), keep);
  const b = s.take(3)!;
  expect(b.records.map((r) => r.seq)).toEqual([1, 2, 3]);
  s.settle(b, true);
  const failed = s.take(2)!;
  s.settle(failed, false); // not delivered: read again
  s.close();
  const seg = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
  appendFileSync(path.join(dir, seg), '{"seq":11,"pad":"tor'); // a crash mid-write

  const again = Spool.open(dir, 1 << 20);
  expect(again.count).toBe(7);
  expect(drain(again)).toEqual([4, 5, 6, 7, 8, 9, 10]);
});

it('delivered segments are deleted, and an empty spool leaves no segment behind', () => {
  const s = Spool.open(dir, 1 << 20);
  s.append(range(1, 4), keep);
  s.settle(s.take(10)!, true);
  expect(s.count).toBe(0);
  expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  s.append(range(5, 6), keep);
  expect(s.take(10)!.records.map((r) => r.seq)).toEqual([5, 6]);
});

it('past maxBytes the oldest segments go, reported as contiguous runs; the disk never holds more than maxBytes', () => {
  const drops: SpoolDrop[] = [];
  const s = Spool.open(dir, 8192);
  for (let seq = 1; seq <= 200; seq++) {
    s.append([rec(seq)], { dropOldest: true, onDrop: (d) => drops.push(d) });
    expect(diskBytes()).toBeLessThanOrEqual(8192);
    expect(s.bytes).toBe(diskBytes());
  }
  const dropped = drops.reduce((n, d) => n + d.records, 0);
  expect(dropped + s.count).toBe(200);
  // The drops are the oldest records, in order, each run contiguous, and the kept ones follow them.
  let next = 1;
  for (const d of drops) {
    expect(d).toEqual({ records: d.lastSeq! - d.firstSeq! + 1, firstSeq: next, lastSeq: next + d.records - 1 });
    next += d.records;
  }
  expect(drain(s)).toEqual(range(next, 200).map((r) => r.seq));
});

it('a record larger than the whole spool is dropped itself; the records before it stay', () => {
  const drops: SpoolDrop[] = [];
  const s = Spool.open(dir, 4096);
  s.append([...range(1, 3), rec(4, 5000), rec(5)], { dropOldest: true, onDrop: (d) => drops.push(d) });
  expect(drops).toEqual([{ records: 1, firstSeq: 4, lastSeq: 4 }]);
  expect(drain(s)).toEqual([1, 2, 3, 5]);
});

it('a batch in flight is not counted dropped with its segment, and settling it leaves the next segment untouched', () => {
  const drops: SpoolDrop[] = [];
  const onDrop = (d: SpoolDrop) => drops.push(d);
  const s = Spool.open(dir, 4096); // segments of 1024 bytes: 8 records of ~117 bytes each
  s.append(range(1, 8), { dropOldest: true, onDrop });
  const flying = s.take(3)!;
  s.append(range(9, 40), { dropOldest: true, onDrop });
  expect(flying.orphaned).toBe(true);
  expect(drops[0]).toEqual({ records: 5, firstSeq: 4, lastSeq: 8 }); // seqs 1-3 are in flight
  s.settle(flying, true); // delivered: nothing more to account for
  const next = s.take(1)!.records[0]!.seq;
  const dropped = drops.reduce((n, d) => n + d.records, 0);
  expect(3 + dropped + s.count).toBe(40);
  expect(next).toBe(3 + dropped + 1);
});
