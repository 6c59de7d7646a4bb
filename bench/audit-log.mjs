// The audit trail's write path (AuditLog, fdatasync on, head written with
// each batch): records per second one at a time and with concurrent
// writers (group commit), and the cost of the record cap on a large record.
// Then the whole sink a request decision goes through (createAuditSink:
// masking, cap, chain, line, write, fdatasync, head), fed with the record a
// tools/call decision of bench/hub's "on" variant makes (its input, claims,
// a 20-call session history, definition facts): CPU per record, of the main
// thread and the libuv pool together, with 8 concurrent writers.
// Prints figures measured in this run, and ratios between them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg, root, SMOKE } from './lib.mjs';

const { AuditLog } = await import(pathToFileURL(path.join(root, 'dist', 'audit', 'audit-log.js')).href);
const { capRecord } = await import(pathToFileURL(path.join(root, 'dist', 'audit', 'record-cap.js')).href);
const { createAuditSink } = await import(pathToFileURL(path.join(root, 'dist', 'audit', 'audit-sink.js')).href);
const { requestInput } = await import(pathToFileURL(path.join(root, 'dist', 'pipeline', 'policy-input.js')).href);
const { withMaskedClaims } = await import(pathToFileURL(path.join(root, 'dist', 'policy', 'decision-log', 'mask.js')).href);

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

  // The sink, as PolicyGuard feeds it on an allowed tools/call (src/pipeline/policy/policy-guard.ts).
  const now = Date.now();
  const principal = { sub: 'bench', roles: ['user'], sessionId: undefined, claims: { sub: 'bench', roles: ['user'], iat: now / 1e3, exp: now / 1e3 + 3600, jti: '34fe3092-a288-4585-ac79-96ad9a43bb83', iss: 'hatago-hub', aud: 'mcp-clients' } };
  const ctx = { transport: 'http', protocolVersion: '2025-06-18', sessionId: '8a140227-7058-4b26-a314-58861007cb19', client: { ip: '127.0.0.1', origin: null, userAgent: null }, principal };
  const digest = 'sha256:caf8c8e56141a440a87d9667ebfb873d661eee7bbb007647122f119024f19407';
  const history = { history: Array.from({ length: 20 }, (_, k) => ({ server: 'up', tool: 'echo', labels: [], at_ns: (now - 20 + k) * 1e6 })), labels: [] };
  const req = { method: 'tools/call', server: 'up', name: 'echo', exposed: 'up_echo', arguments: { text: 'hello bench' }, params: { name: 'up_echo', arguments: { text: 'hello bench' } }, definition: { status: 'new', pinned_digest: digest, digest, description: 'Returns its text', mentions: [] } };
  const event = (i) => ({
    event: 'permission_granted', user: 'bench', sessionId: ctx.sessionId, ip: '127.0.0.1', userAgent: null, decisionId: `d4e4d530-de90-490b-87a1-${String(i).padStart(12, '0')}`, revision: 'sha256:8bfcfda4be5b4c5b',
    metadata: { method: 'tools/call', server: 'up', name: 'echo', exposed: 'up_echo', transport: 'http', roles: ['user'], input: withMaskedClaims(requestInput(ctx, req, history)) },
  });
  const config = (file) => ({ mcpServers: {}, security: { authentication: { secret: 'bench-secret-of-at-least-thirty-two-bytes-0123456789' }, audit: { file } } });
  const records = SMOKE ? 200 : arg('sink-records', 4000);
  const cpuPerRecord = async (file, write) => {
    const sink = await createAuditSink(config(file), undefined, { cwd: dir });
    for (let i = 0; i < 200; i++) await write(sink, i); // JIT
    let next = 0;
    const c0 = process.cpuUsage();
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < records) await write(sink, next++);
    }));
    const c = process.cpuUsage(c0);
    await sink.close();
    return (c.user + c.system) / records;
  };
  const full = await cpuPerRecord(path.join(dir, 'sink.log'), (sink, i) => sink(event(i)));
  const events = await cpuPerRecord(path.join(dir, 'events.log'), async (_sink, i) => event(i));
  const line = readFileSync(path.join(dir, 'sink.log'), 'utf8').split('\n', 1)[0];
  console.log(`audit sink, a tools/call decision record (${line.length} bytes), 8 writers: ${full.toFixed(0)} µs CPU per record (main thread + libuv pool), of which building the event ${events.toFixed(0)} µs`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
