#!/usr/bin/env node
// Profiles the shipped hub (`hatago serve` from dist/) under wrk load: one
// variant of bench/hub.mjs's security sections (on | on-audit-off | off),
// in front of the fixture upstream, with `node --cpu-prof`; prints the
// top self-time functions of the profile, counted over the measured load
// only (start-up and warm-up left out), as a share of the busy time and as
// µs per call, so two variants' listings can be compared line by line. A
// tool for finding costs, not a figure: ratios come from bench/hub.mjs.
//
//   node bench/profile-hub.mjs [--variant on] [--seconds 10] [--connections 8] [--top 40] [--out DIR]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { arg, ensureWrk, freePort, root, startChild, stopChild, wrk } from './lib.mjs';
import { callBody, openSession } from './mcp-session.mjs';
import { security, SECRET } from './hub-security.mjs';

const i = process.argv.indexOf('--variant');
const VARIANT = i > 0 ? process.argv[i + 1] : 'on';
const o = process.argv.indexOf('--out');
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 8);
const TOP = arg('top', 40);
const HATAGO = path.join(root, 'dist', 'bin', 'hatago.js');
const FIXTURE = path.join(root, 'test', 'fixtures', 'servers', 'fixture.mjs');
const work = mkdtempSync(path.join(tmpdir(), 'hatago-bench-prof-'));
const out = o > 0 ? path.resolve(process.argv[o + 1]) : path.join(work, 'prof');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
ensureWrk();

const upstream = startChild(process.execPath, [FIXTURE, 'http'], { env: { FIXTURE_PORT: '0', FIXTURE_JSON_RESPONSE: '1' }, re: /FIXTURE_LISTENING port=(\d+)/ });
const upstreamUrl = `http://127.0.0.1:${(await upstream.ready)[1]}/mcp`;
const port = await freePort();
const file = path.join(work, 'hatago.config.json');
writeFileSync(file, JSON.stringify({ mcpServers: { up: { url: upstreamUrl } }, http: { host: '127.0.0.1', port }, security: security(VARIANT) }, null, 2));
const env = { HATAGO_AUTH_SECRET: SECRET };
mkdirSync(out, { recursive: true });
const hub = startChild(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, HATAGO, 'serve', '--http', '--config', file], { cwd: work, env, re: /hatago listening on/ });
await hub.ready;
const url = `http://127.0.0.1:${port}/mcp`;
let auth = {};
if (VARIANT !== 'off') {
  const t = spawnSync(process.execPath, [HATAGO, 'token', '--config', file, '--sub', 'bench', '--roles', 'user'], { cwd: work, env: { ...process.env, ...env }, encoding: 'utf8' });
  auth = { Authorization: `Bearer ${t.stdout.trim()}` };
}
const session = await openSession(url, auth);
const load = (seconds) => wrk(url, { seconds, connections: CONNECTIONS, headers: session.headers, body: callBody('up_echo', 'hello bench'), expect: '"hello bench"' });
await load(2);
// The profile's clock is the monotonic one process.hrtime reads (µs): the window of the measured load.
const from = Number(process.hrtime.bigint() / 1000n);
const r = await load(SECONDS);
const to = Number(process.hrtime.bigint() / 1000n);
console.log(`hub ${VARIANT}: ${r.rps.toFixed(0)} calls/s under profile, ${r.calls} calls measured`);
await session.close();
await stopChild(hub.child, 'SIGTERM');
await stopChild(upstream.child);

const profFile = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(readFileSync(path.join(out, profFile), 'utf8'));
const self = new Map();
const dt = new Map();
for (let k = 0, at = prof.startTime; k < prof.samples.length; k++) {
  at += prof.timeDeltas[k] ?? 0;
  if (at >= from && at <= to) dt.set(prof.samples[k], (dt.get(prof.samples[k]) ?? 0) + (prof.timeDeltas[k] ?? 0));
}
let total = 0;
for (const n of prof.nodes) {
  const t = dt.get(n.id) ?? 0;
  total += t;
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + t);
}
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, t]) => s + t, 0);
const perCall = (t) => `${(t / r.calls).toFixed(1).padStart(7)} µs`;
console.log(`profile ${path.join(out, profFile)}: ${(total / 1e6).toFixed(1)} s sampled in the measured window, ${((100 * idle) / total).toFixed(1)}% idle, main thread busy ${perCall(total - idle)} per call; self time of the busy part:`);
for (const [k, t] of [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${((100 * t) / (total - idle)).toFixed(2).padStart(6)}% ${perCall(t)}  ${k}`);
