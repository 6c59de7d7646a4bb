#!/usr/bin/env node
// Policy hot reload under load: `hatago serve` with a watched bundle file,
// N SDK clients calling tools/list + tools/call without pause, first with no
// reload (baseline), then during R back-to-back reloads (the bundle file is
// replaced, alternately in place and renamed over, with two builds of
// policies/rego that differ in data.json). Prints reload time (load in the
// hub, and file write -> /health/details showing the new revision) and request
// latency p50/p99 for both phases. Needs `npx tsc -p tsconfig.json` and OPA.
//
//   node bench/policy-reload.mjs [--clients N] [--reloads R] [--baseline-seconds S]
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { arg, root } from './lib.mjs';

const CLIENTS = arg('clients', 8);
const RELOADS = arg('reloads', 50);
const BASELINE_SECONDS = arg('baseline-seconds', 3);
const DEBOUNCE_MS = arg('debounce-ms', 20);

const tmp = mkdtempSync(path.join(tmpdir(), 'hatago-bench-reload-'));
let hub;
function cleanup() {
  if (hub && hub.exitCode === null) hub.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function buildVariant(name, permissions) {
  const src = path.join(tmp, `src-${name}`);
  cpSync(path.join(root, 'policies', 'rego'), src, { recursive: true });
  const dataFile = path.join(src, 'data.json');
  const data = JSON.parse(readFileSync(dataFile, 'utf8'));
  // admin:status:read: the revision is read from /health/details.
  data.hatago.roles.tester = { permissions: [...permissions, 'admin:status:read'] };
  writeFileSync(dataFile, JSON.stringify(data, null, 2));
  const out = path.join(tmp, `${name}.tar.gz`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-policy.mjs'), '--src', src, '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  return { bytes: readFileSync(out), revision: /\(revision (\S+)\)/.exec(r.stdout)[1] };
}

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (x) => `${x.toFixed(2)} ms`;

const A = buildVariant('a', ['server:fx:tools:call:echo', 'server:fx:tools:call:add']);
const B = buildVariant('b', ['server:fx:tools:call:echo', 'server:fx:tools:call:read_file']);
const live = path.join(tmp, 'live');
mkdirSync(live);
const bundlePath = path.join(live, 'hatago.tar.gz');
writeFileSync(bundlePath, A.bytes);
const configFile = path.join(tmp, 'hatago.config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    mcpServers: { fx: { command: process.execPath, args: [path.join(root, 'test', 'fixtures', 'servers', 'fixture.mjs'), 'stdio'] } },
    http: { host: '127.0.0.1', port: 0 },
    policies: { bundle: bundlePath, watch: { debounceMs: DEBOUNCE_MS } },
    security: { authorization: { enabled: true, defaultRole: 'tester' } },
    logging: { file: false },
  }),
);

const loadMs = [];
const baseUrl = await new Promise((resolve, reject) => {
  hub = spawn(process.execPath, [path.join(root, 'dist', 'bin', 'hatago.js'), 'serve', '--config', configFile], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  hub.stderr.on('data', (b) => {
    out += b;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const m = /hatago listening on (http:\/\/[^\s"]+)\/mcp/.exec(line);
      if (m) resolve(m[1]);
      if (line.includes('"policy activated"') && line.includes('loadMs')) loadMs.push(JSON.parse(line).loadMs);
    }
  });
  hub.on('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
});

const health = async () => (await (await fetch(`${baseUrl}/health/details`)).json()).policy;
const clients = await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    const c = new Client({ name: 'bench', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
    return c;
  }),
);

let phase = 'warmup';
const latencies = { baseline: [], reload: [] };
let failures = 0;
let stop = false;
const load = clients.map(async (c, i) => {
  while (!stop) {
    const t0 = performance.now();
    try {
      if (i % 2 === 0) await c.listTools();
      else await c.callTool({ name: 'fx_echo', arguments: { text: 'x' } });
    } catch {
      failures++;
    }
    if (phase !== 'warmup') latencies[phase].push(performance.now() - t0);
  }
});

await new Promise((r) => setTimeout(r, 1000));
phase = 'baseline';
await new Promise((r) => setTimeout(r, BASELINE_SECONDS * 1000));
phase = 'reload';
const reloadMs = [];
const t0All = performance.now();
for (let i = 1; i <= RELOADS; i++) {
  const next = i % 2 === 1 ? B : A;
  const t0 = performance.now();
  if (i % 2 === 0) writeFileSync(bundlePath, next.bytes);
  else {
    const staged = path.join(live, `.staged-${i}`);
    writeFileSync(staged, next.bytes);
    renameSync(staged, bundlePath);
  }
  while ((await health()).revision !== next.revision) await new Promise((r) => setTimeout(r, 2));
  reloadMs.push(performance.now() - t0);
}
const reloadWall = performance.now() - t0All;
stop = true;
await Promise.all(load);
await Promise.all(clients.map((c) => c.close()));
const final = await health();

const hubLoads = loadMs.slice(1); // the first line is the start-up load
console.log(`policy reload under load: ${CLIENTS} clients (tools/list + tools/call), ${RELOADS} reloads, debounce ${DEBOUNCE_MS} ms, bundle ${(A.bytes.length / 1024).toFixed(0)} KiB`);
console.log(`  reload in the hub (read, verify, instantiate, smoke, swap): p50 ${fmt(pct(hubLoads, 50))}  p99 ${fmt(pct(hubLoads, 99))}  max ${fmt(Math.max(...hubLoads))}`);
console.log(`  file write -> /health/details shows it (incl. debounce):    p50 ${fmt(pct(reloadMs, 50))}  p99 ${fmt(pct(reloadMs, 99))}  max ${fmt(Math.max(...reloadMs))}`);
console.log(`  ${RELOADS} back-to-back reloads took ${(reloadWall / 1000).toFixed(2)} s`);
console.log(`  request latency, no reloads:     p50 ${fmt(pct(latencies.baseline, 50))}  p99 ${fmt(pct(latencies.baseline, 99))}  (${latencies.baseline.length} requests)`);
console.log(`  request latency, during reloads: p50 ${fmt(pct(latencies.reload, 50))}  p99 ${fmt(pct(latencies.reload, 99))}  (${latencies.reload.length} requests)`);
console.log(`  failed requests: ${failures}; reloads counted by the hub: ${JSON.stringify(final.reloads)}`);
hub.kill('SIGTERM');
process.exit(failures === 0 ? 0 : 1);
