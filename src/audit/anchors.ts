import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

// The two small files that pin the ends of the chain: `<file>.head` (the last
// record written) and `<file>.anchor` (the last record deleted by retention,
// i.e. where the kept trail starts). Both hold `{"seq": N, "hash": "..."}`.

export interface ChainPoint {
  seq: number;
  hash: string;
}

export type ReadPoint = { kind: 'ok'; point: ChainPoint } | { kind: 'missing' } | { kind: 'garbled'; why: string };

const HEX64 = /^[0-9a-f]{64}$/;

export function readChainPoint(file: string): ReadPoint {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'garbled', why: `cannot be read (${code ?? 'error'})` };
  }
  let v: { seq?: unknown; hash?: unknown };
  try {
    v = JSON.parse(text) as { seq?: unknown; hash?: unknown };
  } catch {
    return { kind: 'garbled', why: 'is not JSON' };
  }
  if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.seq) || (v.seq as number) < 0 || typeof v.hash !== 'string' || !HEX64.test(v.hash)) {
    return { kind: 'garbled', why: 'does not hold {"seq": <integer>, "hash": <64 hex>}' };
  }
  return { kind: 'ok', point: { seq: v.seq as number, hash: v.hash } };
}

/** The head's bytes: padded to one fixed width so each batch overwrites it in place with one write. */
export const HEAD_BYTES = 128;

export function chainPointText(p: ChainPoint, width = 0): string {
  const json = JSON.stringify({ seq: p.seq, hash: p.hash });
  return `${json.padEnd(Math.max(width - 1, json.length), ' ')}\n`;
}

/** Writes a point all at once: a temporary file, fsync'ed, renamed over the old one. */
export function writeChainPointAtomic(file: string, p: ChainPoint): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, chainPointText(p));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
