#!/usr/bin/env node
// tools/call `echo` through the shipped hub (`hatago serve` from dist/, real
// configs: JWT, RBAC, rate limits, audit trail, validation, breakers) against
// the same upstream called directly, through a bare Node proxy
// (bench/bare-proxy.mjs) and through the npm `mcp-proxy` (a plain MCP proxy
// with no security, in front of the same fixture over stdio). The load is
// HTTP from wrk (bench/wrk/mcp-call.lua), not an in-process client: each
// target gets the same connections, and every answer is JSON (the fixture
// runs with FIXTURE_JSON_RESPONSE=1, as the hub answers; mcp-proxy can only
// answer SSE). Targets run in
// interleaved rounds (order rotated each round); the figures are medians,
// the ratios are taken within this one run. CPU per call of each process
// comes from /proc/<pid>/stat before and after each run. Any non-2xx answer,
// socket error or JSON-RPC error stops the bench without a figure.
// Needs `npm run build` (bench/run.mjs builds) and wrk.
//
// With --baseline DIR (the root of another checkout, built), that build's
// hub runs too, security on and on with audit off, in the same rounds: a
// before/after of one change measured in one run.
//
//   node bench/hub.mjs [--connections 8] [--seconds 4] [--rounds 3] [--baseline DIR] [--smoke]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { arg, BenchRunError, cpuSeconds, ensureWrk, freePort, median, root, SMOKE, startChild, stopChild, wrk } from './lib.mjs';
import { callBody, openSession } from './mcp-session.mjs';
import { security, SECRET } from './hub-security.mjs';

const CONNECTIONS = arg('connections', 8);
const SECONDS = arg('seconds', SMOKE ? 1 : 4);
const ROUNDS = arg('rounds', SMOKE ? 1 : 3);
const WARMUP_SECONDS = SMOKE ? 1 : 2;
const HATAGO = path.join(root, 'dist', 'bin', 'hatago.js');
const b = process.argv.indexOf('--baseline');
const BASELINE = b > 0 ? path.join(path.resolve(process.argv[b + 1]), 'dist', 'bin', 'hatago.js') : null;
const FIXTURE = path.join(root, 'test', 'fixtures', 'servers', 'fixture.mjs');
const MCP_PROXY = path.join(root, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
const work = mkdtempSync(path.join(tmpdir(), 'hatago-bench-hub-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

console.log(`bench/hub: tools/call echo over Streamable HTTP (JSON answers; mcp-proxy answers SSE, it has no JSON option), wrk ${CONNECTIONS} connections, ${ROUNDS} interleaved round(s) of ${SECONDS}s per target`);
ensureWrk();

async function startHub(variant, upstreamUrl, hatago = HATAGO, label = 'hub') {
  const dir = path.join(work, `${label}-${variant}`);
  spawnSync('mkdir', ['-p', dir]);
  const port = await freePort();
  const file = path.join(dir, 'hatago.config.json');
  writeFileSync(file, JSON.stringify({ mcpServers: { up: { url: upstreamUrl } }, http: { host: '127.0.0.1', port }, security: security(variant) }, null, 2));
  const env = { HATAGO_AUTH_SECRET: SECRET };
  const { child, ready } = startChild(process.execPath, [hatago, 'serve', '--http', '--config', file], { cwd: dir, env, re: /hatago listening on (http:\/\/[^\s"]+)\/mcp/ });
  await ready;
  const url = `http://127.0.0.1:${port}/mcp`;
  let auth = {};
  if (variant !== 'off') {
    const t = spawnSync(process.execPath, [hatago, 'token', '--config', file, '--sub', 'bench', '--roles', 'user'], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`hatago token: ${t.stderr}`);
    auth = { Authorization: `Bearer ${t.stdout.trim()}` };
  }
  return { name: `${label} ${variant}`, url, pids: [child.pid], child, tool: 'up_echo', auth };
}

/** pid and the pids of its children (mcp-proxy runs the stdio fixture as its child). */
function withChildren(pid) {
  try {
    return [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}

async function measure(target, seconds) {
  const session = await openSession(target.url, target.auth);
  const opts = { seconds, connections: CONNECTIONS, headers: session.headers, body: callBody(target.tool, 'hello bench'), expect: '"hello bench"' };
  const pids = target.pids.flatMap(withChildren);
  const cpu0 = pids.map(cpuSeconds);
  const up0 = cpuSeconds(upstreamPid);
  const r = await wrk(target.url, opts);
  const cpu = pids.map(cpuSeconds).reduce((s, c, i) => s + c - cpu0[i], 0);
  const up = cpuSeconds(upstreamPid) - up0;
  await session.close();
  return { ...r, cpuPerCall: (cpu * 1e6) / r.calls, upstreamCpuPerCall: (up * 1e6) / r.calls };
}

/** Polls until `url` answers an initialize (for a child that prints no start-up line). */
async function untilServing(url, child) {
  for (const end = Date.now() + 30000; Date.now() < end && child.exitCode === null; ) {
    try {
      return await (await openSession(url)).close();
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not start serving`);
}

let upstreamPid;
try {
  const upstream = startChild(process.execPath, [FIXTURE, 'http'], { env: { FIXTURE_PORT: '0', FIXTURE_JSON_RESPONSE: '1' }, re: /FIXTURE_LISTENING port=(\d+)/ });
  const upstreamUrl = `http://127.0.0.1:${(await upstream.ready)[1]}/mcp`;
  upstreamPid = upstream.child.pid;
  const bare = startChild(process.execPath, [path.join(root, 'bench', 'bare-proxy.mjs'), upstreamUrl], { re: /PROXY_LISTENING port=(\d+)/ });
  const bareUrl = `http://127.0.0.1:${(await bare.ready)[1]}/mcp`;
  const mcpProxyPort = await freePort();
  const mp = startChild(process.execPath, [MCP_PROXY, '--host', '127.0.0.1', '--port', String(mcpProxyPort), '--server', 'stream', '--', process.execPath, FIXTURE, 'stdio'], { env: { FIXTURE_JSON_RESPONSE: '1' } });
  mp.ready.catch(() => undefined); // it prints no start-up line: a served initialize is the sign
  await untilServing(`http://127.0.0.1:${mcpProxyPort}/mcp`, mp.child);
  const targets = [
    { name: 'direct', url: upstreamUrl, pids: [], tool: 'echo', auth: {} },
    { name: 'bare proxy', url: bareUrl, pids: [bare.child.pid], tool: 'echo', auth: {} },
    { name: 'mcp-proxy', url: `http://127.0.0.1:${mcpProxyPort}/mcp`, pids: [mp.child.pid], tool: 'echo', auth: {} },
  ];
  for (const v of ['off', 'on', 'on-audit-off', 'on-audit-rl-off']) targets.push(await startHub(v, upstreamUrl));
  if (BASELINE) for (const v of ['on', 'on-audit-off']) targets.push(await startHub(v, upstreamUrl, BASELINE, 'baseline'));

  for (const t of targets) await measure(t, WARMUP_SECONDS); // JIT, sessions, connection pools
  const runs = new Map(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) runs.get(t.name).push(await measure(t, SECONDS));
  }

  const fig = (name) => {
    const rs = runs.get(name);
    return { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), cpu: median(rs.map((r) => r.cpuPerCall)), upCpu: median(rs.map((r) => r.upstreamCpuPerCall)), all: rs.map((r) => r.rps.toFixed(0)).join('/') };
  };
  const f = Object.fromEntries(targets.map((t) => [t.name, fig(t.name)]));
  console.log(`${'target'.padEnd(18)} ${'calls/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'front CPU/call'.padStart(15)} ${'upstream CPU/call'.padStart(18)}  rounds`);
  for (const t of targets) {
    const x = f[t.name];
    const front = t.pids.length ? `${x.cpu.toFixed(0)} µs` : '-';
    console.log(`${t.name.padEnd(18)} ${x.rps.toFixed(0).padStart(8)} ${x.p50.toFixed(2).padStart(7)} ${x.p99.toFixed(2).padStart(7)} ${front.padStart(15)} ${`${x.upCpu.toFixed(0)} µs`.padStart(18)}  ${x.all}`);
  }
  const r = (a, b) => (f[a].rps / f[b].rps).toFixed(2);
  console.log('ratios (calls/s, medians of this run):');
  console.log(`  hub off / direct ${r('hub off', 'direct')}   hub on / direct ${r('hub on', 'direct')} (goal >= 0.70)   bare proxy / direct ${r('bare proxy', 'direct')}   mcp-proxy / direct ${r('mcp-proxy', 'direct')}`);
  console.log(`  hub off / mcp-proxy ${r('hub off', 'mcp-proxy')}   hub on / mcp-proxy ${r('hub on', 'mcp-proxy')}   hub on / bare proxy ${r('hub on', 'bare proxy')}`);
  console.log(`  hub CPU per call / bare proxy CPU per call: on ${(f['hub on'].cpu / f['bare proxy'].cpu).toFixed(2)} (goal <= 1.00), off ${(f['hub off'].cpu / f['bare proxy'].cpu).toFixed(2)}`);
  console.log('ablation (security on = JWT + RBAC + 3 rate limits + audit trail):');
  for (const [label, name] of [['security on', 'hub on'], ['on, audit off', 'hub on-audit-off'], ['on, audit and rate limit off', 'hub on-audit-rl-off'], ['off (policy still evaluated)', 'hub off']]) {
    console.log(`  ${label.padEnd(30)} ${r(name, 'hub off').padStart(5)} of security-off   hub CPU ${f[name].cpu.toFixed(0).padStart(5)} µs per call`);
  }
  console.log(`  security on / security off ${r('hub on', 'hub off')} (goal >= 0.90)`);
  if (BASELINE) {
    const audit = (on, off) => (f[on].cpu - f[off].cpu).toFixed(0);
    console.log(`baseline ${path.dirname(path.dirname(path.dirname(BASELINE)))}, same rounds:`);
    console.log(`  security on: this build / baseline ${r('hub on', 'baseline on')} calls/s, hub CPU ${f['hub on'].cpu.toFixed(0)} vs ${f['baseline on'].cpu.toFixed(0)} µs per call`);
    console.log(`  the audit trail's CPU per call (on minus on-audit-off): this build ${audit('hub on', 'hub on-audit-off')} µs, baseline ${audit('baseline on', 'baseline on-audit-off')} µs`);
    console.log(`  security on / security off: this build ${r('hub on', 'hub off')}, baseline ${r('baseline on', 'hub off')}`);
  }
  // Hubs get SIGTERM (their audit trails close); the exit handler SIGKILLs whatever is left.
  await Promise.race([Promise.all(targets.filter((t) => t.child).map((t) => stopChild(t.child, 'SIGTERM'))), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(0);
} catch (err) {
  if (err instanceof BenchRunError) {
    console.error(`bench/hub: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
