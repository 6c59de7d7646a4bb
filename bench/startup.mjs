#!/usr/bin/env node
// Start-up and memory of the shipped hub (`hatago serve`, the bundled dist/bin/hatago.js):
// - time from spawn to the first `GET /health` 200 with the embedded default config in an empty folder,
//   against a bare Node HTTP server spawned the same way and the same build unbundled (tsc's dist/cli/main.js)
//   (median of --runs each, alternating, one run);
// - RSS idle, with --sessions 2025-11-25 sessions open (initialize, notifications/initialized, tools/list,
//   each holding its Mcp-Session-Id), and after all of them are closed (DELETE), twice over. The config is the
//   default with security.sessions.maxPerPrincipal raised to hold them (all come from one address).
//   Each RSS reading is taken twice: as it stands, and after a full garbage collection that this bench asks
//   of the hub through the inspector (the hub runs with --inspect on a loopback port for these rows only; the
//   hub itself never forces a collection). The second is the goal's figure: what the hub still holds, rather
//   than garbage V8 has not collected yet (its memory reducer does that on its own after ~20 s of quiet).
// Any non-2xx or JSON-RPC error stops it without a figure. Needs `npx tsc -p tsconfig.json`.
//
//   node bench/startup.mjs [--runs 5] [--sessions 1000] [--smoke]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { arg, freePort, median, root, rssMb, SMOKE, startChild, stopChild } from './lib.mjs';
import { openSession } from './mcp-session.mjs';

// Node 20 has WebSocket (for the inspector) behind a flag: run again with it.
if (typeof WebSocket === 'undefined') {
  const r = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const RUNS = arg('runs', SMOKE ? 1 : 5);
const SESSIONS = arg('sessions', SMOKE ? 20 : 1000);
const CONCURRENCY = 8;
const HATAGO = path.join(root, 'dist', 'bin', 'hatago.js');
// tsc's unbundled output of the same build: what the bundle saves, in the same run.
const UNBUNDLED = path.join(root, 'dist', 'cli', 'main.js');
const BARE = "require('node:http').createServer((q,s)=>s.end('{\"status\":\"ok\"}')).listen(Number(process.argv[1]),'127.0.0.1')";

console.log(`bench/startup: spawn to first /health 200 (${RUNS} run(s) each, default config), RSS with ${SESSIONS} 2025-11-25 sessions open and after they are closed`);

async function untilHealthy(port, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before /health answered`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Spawns the hub (or the bare server) in a fresh empty folder; resolves once /health answered 200. */
async function spawnServer(kind, { config, inspect = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-bench-start-'));
  if (config) writeFileSync(path.join(dir, 'hatago.config.json'), JSON.stringify(config));
  const port = await freePort();
  const serve = ['serve', '--http', '--port', String(port)];
  const args = kind === 'hub' ? [...(inspect ? ['--inspect=127.0.0.1:0'] : []), HATAGO, ...serve] : kind === 'unbundled' ? [UNBUNDLED, ...serve] : ['-e', BARE, String(port)];
  const t0 = performance.now();
  const { child, ready } = startChild(process.execPath, args, { cwd: dir, ...(inspect && { re: /Debugger listening on (ws:\S+)/ }) });
  ready.catch(() => undefined);
  await untilHealthy(port, child);
  const ms = performance.now() - t0;
  const inspector = inspect ? (await ready)[1] : undefined;
  return { ms, port, child, inspector, stop: async () => (await stopChild(child, 'SIGTERM'), rmSync(dir, { recursive: true, force: true })) };
}

const times = { hub: [], unbundled: [], bare: [] };
for (let i = 0; i < RUNS; i++) {
  for (const kind of ['bare', 'hub', 'unbundled']) {
    const s = await spawnServer(kind);
    times[kind].push(s.ms);
    await s.stop();
  }
}
const fmt = (xs) => `${median(xs).toFixed(0)} ms (runs ${xs.map((x) => x.toFixed(0)).join('/')})`;
console.log(`start-up to first /health 200: hub ${fmt(times.hub)}, bare Node server ${fmt(times.bare)}, ratio ${(median(times.hub) / median(times.bare)).toFixed(1)} (goal: hub <= 300 ms)`);
console.log(`  the same build unbundled (dist/cli/main.js): ${fmt(times.unbundled)}; bundled / unbundled ${(median(times.hub) / median(times.unbundled)).toFixed(2)}`);

/** The hub's inspector: a full collection (HeapProfiler.collectGarbage, twice: weak references go in the second). */
async function collector(wsUrl) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => (ws.addEventListener('open', resolve), ws.addEventListener('error', reject)));
  let id = 0;
  const waiting = new Map();
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(String(m.data));
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const call = (method) => new Promise((resolve) => (waiting.set(++id, resolve), ws.send(JSON.stringify({ id, method }))));
  return { collect: async () => (await call('HeapProfiler.collectGarbage'), await call('HeapProfiler.collectGarbage')), close: () => ws.close() };
}

// The default config, with room for SESSIONS sessions of one (anonymous, per-address) caller.
const { embeddedDefaultConfig } = await import(path.join(root, 'dist', 'config', 'default-config.js'));
const config = embeddedDefaultConfig();
config.security.sessions = { maxPerPrincipal: SESSIONS + CONCURRENCY };
const PROTOCOL = '2025-11-25';
const hub = await spawnServer('hub', { config, inspect: true });
const gc = await collector(hub.inspector);
try {
  const url = `http://127.0.0.1:${hub.port}/mcp`;
  const pool = async (items, f) => {
    let next = 0;
    const out = [];
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]);
      }
    }));
    return out;
  };
  const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  const open = async () => {
    const s = await openSession(url, {}, PROTOCOL);
    if (s.headers['MCP-Protocol-Version'] !== PROTOCOL || !s.session) throw new Error(`initialize: got ${s.headers['MCP-Protocol-Version']}, session ${s.session}`);
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...s.headers }, body: list });
    const text = await r.text();
    if (r.status !== 200 || text.includes('"error"')) throw new Error(`tools/list: HTTP ${r.status} ${text.slice(0, 300)}`);
    return s;
  };
  const close = async (s) => {
    const r = await fetch(url, { method: 'DELETE', headers: s.headers });
    await r.arrayBuffer();
    if (r.status !== 200 && r.status !== 204) throw new Error(`DELETE: HTTP ${r.status}`);
  };
  const settle = () => new Promise((r) => setTimeout(r, SMOKE ? 200 : 1000));
  const reading = async () => {
    await settle();
    const asIs = rssMb(hub.child.pid);
    await gc.collect();
    return { asIs, collected: rssMb(hub.child.pid) };
  };
  await pool(Array.from({ length: CONCURRENCY }), async () => close(await open())); // the request path loaded
  const idle = await reading();
  const rows = [];
  for (let round = 1; round <= 2; round++) {
    const sessions = await pool(Array.from({ length: SESSIONS }), open);
    const opened = await reading();
    await pool(sessions, close);
    const closed = await reading();
    rows.push({ round, opened, closed });
  }
  const pct = (x, base) => `${x >= base ? '+' : ''}${(((x - base) / base) * 100).toFixed(0)}%`;
  const mb = (x) => `${x.toFixed(0)} MB`;
  for (const [label, key] of [['after a full GC (the goal: within +10% of idle)', 'collected'], ['as it stands, before V8 collects', 'asIs']]) {
    const base = idle[key];
    const parts = rows.map((r) => `round ${r.round}: ${SESSIONS} open ${mb(r.opened[key])} (${pct(r.opened[key], base)}), closed ${mb(r.closed[key])} (${pct(r.closed[key], base)})`);
    console.log(`hub RSS ${label}: idle ${mb(base)}; ${parts.join('; ')}`);
  }
} finally {
  gc.close();
  await hub.stop();
}
