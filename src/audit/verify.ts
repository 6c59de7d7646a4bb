import { existsSync, readFileSync } from 'node:fs';
import { readChainPoint } from './anchors.js';
import { anchorName, headName, trailFiles } from './files.js';
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
 * and records cut from the end fall short of the `.head` anchor, which must
 * be there and readable unless the trail is empty. When retention deleted
 * the oldest files, the chain starts at `.anchor` (the last deleted record)
 * instead of seq 0 and the genesis hash.
 */
export function verifyTrail(file: string): VerifyResult {
  const files = trailFiles(file).filter((f) => existsSync(f));
  let records = 0;
  const fail = (f: string, line: number, reason: string): VerifyResult => ({ ok: false, records, files, file: f, line, reason });
  const start = readChainPoint(anchorName(file));
  if (start.kind === 'garbled') return fail(anchorName(file), 1, `the start anchor ${start.why}`);
  let prevSeq = start.kind === 'ok' ? start.point.seq : 0;
  let prevHash = start.kind === 'ok' ? start.point.hash : GENESIS_HASH;
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
  const last = files[files.length - 1] ?? file;
  const head = readChainPoint(headName(file));
  if (head.kind !== 'ok') {
    if (records === 0 && start.kind === 'missing') return { ok: true, records, files };
    const why = head.kind === 'missing' ? 'is missing' : head.why;
    return fail(headName(file), 1, `the head anchor ${why}, so records cut from the end of ${last} would go unnoticed`);
  }
  if (head.point.seq > prevSeq) {
    return fail(last, lineCount(last) + 1, `trail ends at seq ${prevSeq} but ${headName(file)} records seq ${head.point.seq} (records were cut from the end)`);
  }
  if (head.point.seq === prevSeq && head.point.hash !== prevHash) {
    return fail(last, lineCount(last), `last record's hash differs from ${headName(file)} (the end of the trail was rewritten)`);
  }
  return { ok: true, records, files };
}

function lineCount(f: string): number {
  try {
    return readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0).length;
  } catch {
    return 0;
  }
}

/** A folder of chains (one per replica): each verified on its own, in name order. */
export function verifyChains(files: readonly string[]): { file: string; result: VerifyResult }[] {
  return files.map((file) => ({ file, result: verifyTrail(file) }));
}
