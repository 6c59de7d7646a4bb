// The audit trail's write path (AuditLog, fdatasync on, head written with
// each batch): records per second one at a time and with concurrent
// writers (group commit), and the cost of the record cap on a large record.
// Prints figures measured in this run, and ratios between them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg, root } from './lib.mjs';

const { AuditLog } = await import(pathToFileURL(path.join(root, 'dist', 'audit', 'audit-log.js')).href);
const { capRecord } = await import(pathToFileURL(path.join(root, 'dist', 'audit', 'record-cap.js')).href);

const n = arg('records', 2000);
const dir = mkdtempSync(path.join(tmpdir(), 'hatago-bench-audit-'));
const entry = (i) => ({ level: 'info', event: 'permission_granted', user: `u${i % 7}`, sessionId: null, ip: '127.0.0.1', userAgent: null, decisionId: `d-${i}`, revision: 'r', metadata: { method: 'tools/call', server: 'fx', name: 'echo', i } });

async function rate(concurrency, file) {
  const log = await AuditLog.open(file);
  const t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await log.append(entry(next++));
  }));
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  await log.close();
  return n / s;
}

try {
  const one = await rate(1, path.join(dir, 'a.log'));
  const sixteen = await rate(16, path.join(dir, 'b.log'));
  const many = await rate(256, path.join(dir, 'c.log'));
  console.log(`records/s: 1 writer ${one.toFixed(0)}, 16 writers ${sixteen.toFixed(0)} (x${(sixteen / one).toFixed(1)}), 256 writers ${many.toFixed(0)} (x${(many / one).toFixed(1)})`);

  const big = { ...entry(0), metadata: { method: 'tools/call', input: { request: { name: 'echo', arguments: { text: 'lorem ipsum '.repeat(87_382) } } } } };
  const small = entry(0);
  const time = (e, k) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < k; i++) capRecord(e, 16384);
    return Number(process.hrtime.bigint() - t) / 1e6 / k;
  };
  const s = time(small, 20000);
  const b = time(big, 50);
  console.log(`capRecord: small record ${(s * 1000).toFixed(1)} µs, 1 MiB record ${b.toFixed(2)} ms (x${(b / s).toFixed(0)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
