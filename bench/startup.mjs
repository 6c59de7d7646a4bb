#!/usr/bin/env node
// Start-up and memory of the shipped hub (`hatago serve` from dist/, the
// embedded default config in an empty folder):
// - time from spawn to the first `GET /health` 200, against a bare Node HTTP
//   server spawned the same way (median of --runs each, alternating);
// - RSS idle (after one session, so the request path is loaded), after 1,000
//   MCP sessions opened (initialize) and closed (DELETE), and after a second
//   1,000; any non-2xx or JSON-RPC error stops it without a figure.
// Needs `npx tsc -p tsconfig.json`.
//
//   node bench/startup.mjs [--runs 5] [--sessions 1000] [--smoke]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { arg, freePort, median, root, rssMb, SMOKE, startChild, stopChild } from './lib.mjs';
import { openSession } from './mcp-session.mjs';

const RUNS = arg('runs', SMOKE ? 1 : 5);
const SESSIONS = arg('sessions', SMOKE ? 20 : 1000);
const CONCURRENCY = 8;
const HATAGO = path.join(root, 'dist', 'cli', 'main.js');
const BARE = "require('node:http').createServer((q,s)=>s.end('{\"status\":\"ok\"}')).listen(Number(process.argv[1]),'127.0.0.1')";

console.log(`bench/startup: spawn to first /health 200 (${RUNS} run(s) each, default config), RSS around ${SESSIONS} sessions opened and closed`);

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
async function spawnServer(kind, env = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-bench-start-'));
  const port = await freePort();
  const args = kind === 'hub' ? [HATAGO, 'serve', '--http', '--port', String(port)] : ['-e', BARE, String(port)];
  const t0 = performance.now();
  const { child, ready } = startChild(process.execPath, args, { cwd: dir, env });
  ready.catch(() => undefined);
  await untilHealthy(port, child);
  const ms = performance.now() - t0;
  return { ms, port, child, stop: async () => (await stopChild(child, 'SIGTERM'), rmSync(dir, { recursive: true, force: true })) };
}

const times = { hub: [], bare: [] };
for (let i = 0; i < RUNS; i++) {
  for (const kind of ['bare', 'hub']) {
    const s = await spawnServer(kind);
    times[kind].push(s.ms);
    await s.stop();
  }
}
const fmt = (xs) => `${median(xs).toFixed(0)} ms (runs ${xs.map((x) => x.toFixed(0)).join('/')})`;
console.log(`start-up to first /health 200: hub ${fmt(times.hub)}, bare Node server ${fmt(times.bare)}, ratio ${(median(times.hub) / median(times.bare)).toFixed(1)} (goal: hub <= 300 ms)`);

// RSS around sessions: the hub with the default config and its demo upstream; then the same with a 2 MB
// semi-space (NODE_OPTIONS), since what stays after a burst is V8's grown young generation (docs/sessions.md).
for (const [label, env] of [['default V8 flags', {}], ['--max-semi-space-size=2', { NODE_OPTIONS: '--max-semi-space-size=2' }]]) {
  const hub = await spawnServer('hub', env);
  try {
    const url = `http://127.0.0.1:${hub.port}/mcp`;
    const cycle = async (n) => {
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < n) await (await openSession(url)).close();
      }));
    };
    await cycle(CONCURRENCY);
    const settle = () => new Promise((r) => setTimeout(r, SMOKE ? 200 : 2000));
    await settle();
    const idle = rssMb(hub.child.pid);
    await cycle(SESSIONS);
    await settle();
    const after1 = rssMb(hub.child.pid);
    await cycle(SESSIONS);
    await settle();
    const after2 = rssMb(hub.child.pid);
    const pct = (x) => `${x >= idle ? '+' : ''}${(((x - idle) / idle) * 100).toFixed(0)}%`;
    console.log(`hub RSS (${label}): idle ${idle.toFixed(0)} MB, after ${SESSIONS} sessions opened and closed ${after1.toFixed(0)} MB (${pct(after1)}), after another ${SESSIONS} ${after2.toFixed(0)} MB (${pct(after2)}) (goal: within +10% of idle)`);
  } finally {
    await hub.stop();
  }
}
