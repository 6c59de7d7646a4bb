import { existsSync, readFileSync } from 'node:fs';
import { headName, trailFiles } from './files.js';
import { GENESIS_HASH, recordHash } from './record.js';

export type VerifyResult =
  | { ok: true; records: number; files: string[] }
  | { ok: false; records: number; files: string[]; file: string; line: number; reason: string };

/**
 * Walks the whole trail (rotated files oldest first, then the live file)
 * and checks every record: valid JSON, seq one more than the previous,
 * prevHash equal to the previous hash, hash equal to the record's own.
 * The first bad line is named with why. An edited line fails its hash, a
 * removed or reordered one fails seq/prevHash, a torn one fails to parse,
 * and records cut from the end fall short of the `.head` anchor.
 */
export function verifyTrail(file: string): VerifyResult {
  const files = trailFiles(file).filter((f) => existsSync(f));
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  let records = 0;
  const fail = (f: string, line: number, reason: string): VerifyResult => ({ ok: false, records, files, file: f, line, reason });
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const n = i + 1;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(lines[i]!) as Record<string, unknown>;
      } catch {
        return fail(f, n, 'not a JSON record (torn or edited line)');
      }
      if (typeof r !== 'object' || r === null) return fail(f, n, 'not a JSON object');
      if (r.seq !== prevSeq + 1) return fail(f, n, `seq is ${String(r.seq)}, expected ${prevSeq + 1} (a record was removed, reordered or inserted)`);
      if (r.prevHash !== prevHash) return fail(f, n, 'prevHash does not match the previous record (a record was removed or reordered)');
      if (r.hash !== recordHash(r)) return fail(f, n, 'hash does not match the record (the record was edited)');
      prevSeq = r.seq as number;
      prevHash = r.hash as string;
      records++;
    }
  }
  const head = readHead(file);
  if (head && head.seq > prevSeq) {
    const last = files[files.length - 1] ?? file;
    return fail(last, lineCount(last) + 1, `trail ends at seq ${prevSeq} but ${headName(file)} records seq ${head.seq} (records were cut from the end)`);
  }
  if (head && head.seq === prevSeq && head.hash !== prevHash) {
    const last = files[files.length - 1] ?? file;
    return fail(last, lineCount(last), `last record's hash differs from ${headName(file)} (the end of the trail was rewritten)`);
  }
  return { ok: true, records, files };
}

function readHead(file: string): { seq: number; hash: string } | null {
  try {
    const h = JSON.parse(readFileSync(headName(file), 'utf8')) as { seq?: unknown; hash?: unknown };
    return typeof h.seq === 'number' && typeof h.hash === 'string' ? { seq: h.seq, hash: h.hash } : null;
  } catch {
    return null;
  }
}

function lineCount(f: string): number {
  try {
    return readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0).length;
  } catch {
    return 0;
  }
}
