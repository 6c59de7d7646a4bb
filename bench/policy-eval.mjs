#!/usr/bin/env node
// Decisions per second and p50/p99 latency with the shipped bundle, input
// encoding included: the request stage (tools/call), the network stage, and
// tools/list decisions over 10, 100 and 1,000 candidate tools. Then the same
// bundle asked of the pinned OPA as a sidecar (`opa run --server` from
// .tools/, over keep-alive loopback HTTP), in alternating rounds with the
// in-process engine, every answer compared. Needs `npx tsc -p tsconfig.json`.
//
//   node bench/policy-eval.mjs [--bundle F] [--n 200000] [--warmup 20000] [--baseline B] [--smoke]
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
    smoke: { type: 'boolean', default: false },
  },
});
if (opts.smoke) Object.assign(opts, { n: '2000', warmup: '200' });
const N = Number(opts.n);
const WARMUP = Number(opts.warmup);

// The security section of a realistic config (what the policy reads at data.config).
const config = {
  authentication: { enabled: true, type: 'jwt', issuer: 'hatago-hub', audience: ['mcp-clients'] },
  authorization: { enabled: true, defaultRole: 'readonly' },
  network: { allowedIPs: ['10.0.0.0/8', '192.168.0.0/16'], blockedIPs: ['10.66.0.0/16'], trustedProxies: ['10.0.0.1'] },
};

/** allow=true, or allow=false with the deny's code and reasons (a code on an allow would be misleading). */
function describe(d) {
  return d.allow ? 'allow=true' : `allow=false code=${d.code} reasons=${JSON.stringify(d.reasons)}`;
}

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
console.log(`sample decision: ${describe(sample)}`);

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

// --- network stage and list decisions --------------------------------------------------------------------------

function networkInput() {
  seq++;
  return { contract: 2, stage: 'network', now_ns: Date.now() * 1e6, transport: 'http', path: '/mcp', client: { ip: `10.1.2.${seq % 250}`, socket_ip: '10.0.0.1', forwarded_for: [`10.1.2.${seq % 250}`], origin: null, user_agent: 'bench/1.0' } };
}
function listInput(tools) {
  const base = requestInput();
  const candidates = Array.from({ length: tools }, (_, i) => ({ server: 'filesystem', kind: 'tool', name: `tool_${i}`, exposed: `filesystem_tool_${i}` }));
  return () => ({ ...base, now_ns: Date.now() * 1e6, request: { ...base.request, method: 'tools/list', name: null, exposed: null, arguments: null, params: null }, candidates });
}

/** p50/p99 of `n` decisions of inputs from `make`, each timed alone. */
function timeStage(make, n) {
  for (let i = 0; i < Math.min(n, WARMUP); i++) engine.decide(make());
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const input = make();
    const t0 = process.hrtime.bigint();
    engine.decide(input);
    xs[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  xs.sort();
  return { p50: xs[Math.floor(n / 2)], p99: xs[Math.min(n - 1, Math.floor(n * 0.99))] };
}
const stageRows = [['network stage', networkInput, N / 4], ['tools/list, 10 tools', listInput(10), N / 20], ['tools/list, 100 tools', listInput(100), N / 100], ['tools/list, 1,000 tools', listInput(1000), N / 1000]];
for (const [label, make, n] of stageRows) {
  const count = Math.max(50, Math.floor(n));
  const r = timeStage(make, count);
  if (label === 'network stage') process.stdout.write('\n');
  console.log(`${label.padEnd(24)} p50 ${r.p50.toFixed(1).padStart(7)} µs  p99 ${r.p99.toFixed(1).padStart(7)} µs  (${count} decisions; ${describe(engine.decide(make()))})`);
}

// --- the same bundle on an OPA sidecar -------------------------------------------------------------------------

const { spawn } = await import('node:child_process');
const { readdirSync, existsSync } = await import('node:fs');
const { Agent, request } = await import('node:http');
const { freePort } = await import('./lib.mjs');

const opaDir = readdirSync(join(root, '.tools')).find((d) => d.startsWith('opa-'));
const opaBin = opaDir && join(root, '.tools', opaDir, 'opa');
if (!opaBin || !existsSync(opaBin)) {
  console.log('OPA sidecar: skipped, no pinned OPA in .tools/ (npm run opa:install)');
} else {
  // The Rego the shipped bundle is built from (policies/rego; `npm run policy:build` keeps them in step):
  // the bundle's own .rego files are opa build's rewritten output, without the entrypoint rule.
  const dir = join(root, 'policies', 'rego');
  const port = await freePort();
  const opa = spawn(opaBin, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error', '--ignore', '*_test.rego', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  process.on('exit', () => opa.kill('SIGKILL'));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method, path, body) => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json', ...(payload && { 'content-length': Buffer.byteLength(payload) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve(text ? JSON.parse(text) : {}) : reject(new Error(`OPA ${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
  for (let i = 0; ; i++) {
    try {
      await call('GET', '/health');
      break;
    } catch (err) {
      if (i > 400) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  // data.config and data.compiled as the engine sets them (src/policy/engine.ts).
  await call('PUT', '/v1/data/config', config);
  const compiled = (await call('POST', '/v1/data/hatago/decision', { input: { contract: 2, stage: 'compile' } })).result?.compiled;
  if (compiled) await call('PUT', '/v1/data/compiled', compiled);
  const ROUND = opts.smoke ? 20 : 500;
  const ROUNDS = opts.smoke ? 2 : 10;
  for (const [label, make] of [['request stage (tools/call)', requestInput], ['network stage', networkInput], ['tools/list, 100 tools', listInput(100)]]) {
    const t = { inproc: [], opa: [] };
    let mismatches = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const inputs = Array.from({ length: ROUND }, make);
      let t0 = process.hrtime.bigint();
      const local = inputs.map((i) => engine.decide(i));
      t.inproc.push(Number(process.hrtime.bigint() - t0) / 1000 / ROUND);
      t0 = process.hrtime.bigint();
      const remote = [];
      for (const i of inputs) remote.push((await call('POST', '/v1/data/hatago/decision', { input: i })).result);
      t.opa.push(Number(process.hrtime.bigint() - t0) / 1000 / ROUND);
      for (let k = 0; k < ROUND; k++) if (remote[k]?.allow !== local[k].allow || JSON.stringify(remote[k]?.visible ?? null) !== JSON.stringify(local[k].visible ?? null)) { if (!mismatches && process.env.BENCH_DEBUG) console.error(JSON.stringify(remote[k]).slice(0, 400), JSON.stringify(local[k]).slice(0, 400)); mismatches++; }
    }
    if (mismatches > 0) {
      console.error(`OPA sidecar: ${mismatches} answers differ from the in-process engine for ${label}; no figure printed`);
      process.exit(1);
    }
    const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`${label.padEnd(27)} in-process ${med(t.inproc).toFixed(1).padStart(7)} µs   OPA sidecar ${med(t.opa).toFixed(1).padStart(8)} µs   sidecar / in-process ${(med(t.opa) / med(t.inproc)).toFixed(1)}x   (${ROUNDS} alternating rounds of ${ROUND}, same answers)`);
  }
  opa.kill('SIGKILL');
}
