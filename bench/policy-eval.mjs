#!/usr/bin/env node
// Decisions per second and p50/p99 latency of one request-stage decision
// with the shipped bundle, input encoding included. Needs `npx tsc -p tsconfig.json`.
//
//   node bench/policy-eval.mjs [--bundle F] [--n 200000] [--warmup 20000] [--baseline B]
//
// --baseline B: also load bundle B and time both in alternating rounds of
// 1000 decisions in this one process, then print the ratio of their median
// round times (load on a shared machine hits both alike).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PolicyEngine } from '../dist/policy/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    bundle: { type: 'string', default: join(root, 'policies', 'bundle', 'hatago.tar.gz') },
    n: { type: 'string', default: '200000' },
    warmup: { type: 'string', default: '20000' },
    baseline: { type: 'string' },
  },
});
const N = Number(opts.n);
const WARMUP = Number(opts.warmup);

// The security section of a realistic config (what the policy reads at data.config).
const config = {
  authentication: { enabled: true, type: 'jwt', issuer: 'hatago-hub', audience: ['mcp-clients'] },
  authorization: { enabled: true, defaultRole: 'readonly' },
  network: { allowedIPs: ['10.0.0.0/8', '192.168.0.0/16'], blockedIPs: ['10.66.0.0/16'], trustedProxies: ['10.0.0.1'] },
};

let seq = 0;
// Built per call, as the request stage would: fresh objects, varying values.
function requestInput() {
  seq++;
  const args = { path: `/srv/data/report-${seq % 100}.csv`, encoding: 'utf-8', maxBytes: 65536 };
  return {
    contract: 2,
    stage: 'request',
    now_ns: Date.now() * 1e6,
    transport: 'http',
    client: { ip: '10.1.2.3', socket_ip: '10.0.0.1', forwarded_for: ['10.1.2.3'], origin: null, user_agent: 'bench/1.0' },
    principal: {
      sub: 'user-123',
      username: 'john.doe',
      roles: ['user', 'mcp-client'],
      permissions: ['mcp:tools', 'mcp:resources'],
      scope: null,
      session_id: 'session-456',
      claims: { iss: 'hatago-hub', aud: 'mcp-clients', iat: 1732730000, exp: 1732816400 },
    },
    request: {
      method: 'tools/call',
      server: 'filesystem',
      name: 'read_file',
      exposed: 'filesystem_read_file',
      arguments: args,
      // What the runtime sends since contract v1 gained request.params (the validation rules walk it).
      params: { name: 'filesystem_read_file', arguments: args },
      protocol_version: '2025-11-25',
      session_id: '2c1f0e4a-5b7d-4f43-9b1e-0d7a6a3c9e11',
    },
  };
}

const engine = await PolicyEngine.load(opts.bundle, { runtimeData: config });
const sample = engine.decide(requestInput());
console.log(`bundle ${opts.bundle.replace(root + '/', '')} revision ${engine.revision}`);
console.log(`sample decision: allow=${sample.allow} code=${sample.code} reasons=${JSON.stringify(sample.reasons)}`);

for (let i = 0; i < WARMUP; i++) engine.decide(requestInput());

const samples = new Float64Array(N);
let allowed = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  const d = engine.decide(requestInput());
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  if (d.allow) allowed++;
}
const totalMs = Number(process.hrtime.bigint() - start) / 1e6;

samples.sort();
const pct = (p) => samples[Math.min(N - 1, Math.floor((p / 100) * N))].toFixed(1);
console.log(`${N} decisions in ${totalMs.toFixed(0)} ms (allowed ${allowed})`);
console.log(`decisions/s ${Math.round(N / (totalMs / 1000))}`);
console.log(`p50 ${pct(50)} µs  p90 ${pct(90)} µs  p99 ${pct(99)} µs  max ${samples[N - 1].toFixed(1)} µs`);

if (opts.baseline) {
  const base = await PolicyEngine.load(opts.baseline, { runtimeData: config });
  for (let i = 0; i < WARMUP; i++) base.decide(requestInput());
  const ROUND = 1000;
  const rounds = Math.max(10, Math.floor(N / ROUND / 2));
  const times = { bundle: [], baseline: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, e] of [['bundle', engine], ['baseline', base]]) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < ROUND; i++) e.decide(requestInput());
      times[name].push(Number(process.hrtime.bigint() - t0) / 1000 / ROUND);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [mb, mo] = [median(times.bundle), median(times.baseline)];
  console.log(`alternating rounds (${rounds} x ${ROUND} each): bundle ${mb.toFixed(1)} µs, baseline ${opts.baseline.replace(root + '/', '')} ${mo.toFixed(1)} µs, ratio ${(mb / mo).toFixed(3)}`);
}
