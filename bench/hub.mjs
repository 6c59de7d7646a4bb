#!/usr/bin/env node
// tools/call `echo` throughput and p50/p99 latency against one stateful
// fixture upstream (Streamable HTTP), called directly and through the hub,
// in one run with N concurrent 1.x SDK clients; then the hub with traces on
// (exported to a local OTLP receiver) against the hub with traces off, in
// alternating rounds (medians). Needs `npx tsc -p tsconfig.json`.
//
//   node bench/hub.mjs [--clients N] [--seconds S]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { arg, root } from './lib.mjs';

const CLIENTS = arg('clients', 8);
const SECONDS = arg('seconds', 5);
const WARMUP_SECONDS = 1;

const children = [];
function start(args, re, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FIXTURE_PORT: '0', ...env } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (b) => {
      out += b;
      const m = out.match(re);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}
/** CPU seconds a child has used (Linux /proc), or undefined elsewhere: less sensitive to a busy machine than calls/s. */
function cpuSeconds(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}
function stopAll() {
  // SIGINT lets a profiled hub write its profile; SIGKILL for anything left.
  for (const c of children) if (c.exitCode === null) c.kill(process.env.HUB_PROF ? 'SIGINT' : 'SIGKILL');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

async function measure(url, tool, cpuOf) {
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const c = new Client({ name: 'bench', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(url)));
      return c;
    }),
  );
  const run = async (seconds, latencies) => {
    const end = performance.now() + seconds * 1000;
    let calls = 0;
    await Promise.all(
      clients.map(async (c, i) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const r = await c.callTool({ name: tool, arguments: { text: `hello ${i}` } });
          if (r.content[0].text !== `hello ${i}`) throw new Error('wrong answer');
          latencies?.push(performance.now() - t0);
          calls++;
        }
      }),
    );
    return calls;
  };
  await run(WARMUP_SECONDS);
  const latencies = [];
  const cpu0 = cpuOf && cpuSeconds(cpuOf);
  const t0 = performance.now();
  const calls = await run(SECONDS, latencies);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = cpuOf && cpuSeconds(cpuOf);
  await Promise.all(clients.map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const cpuPerCall = cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1e6) / calls : undefined;
  return { rps: calls / elapsed, p50: pct(50), p99: pct(99), calls, cpuPerCall };
}

try {
  const upPort = await start(['test/fixtures/servers/fixture.mjs', 'http'], /FIXTURE_LISTENING port=(\d+)/);
  const upstreamUrl = `http://127.0.0.1:${upPort}/mcp`;
  const hubPort = await start([...(process.env.HUB_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/hubprof'] : []), 'bench/hub-server.mjs', upstreamUrl], /HUB_LISTENING port=(\d+)/);
  const direct = await measure(upstreamUrl, 'echo');
  const hubChild = children[children.length - 1];
  const viaHub = await measure(`http://127.0.0.1:${hubPort}/mcp`, 'up_echo', hubChild);
  const fmt = (r) => `${r.rps.toFixed(0).padStart(6)} calls/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   (${r.calls} calls)`;
  console.log(`tools/call echo, ${CLIENTS} concurrent clients, ${SECONDS}s each`);
  console.log(`direct    ${fmt(direct)}`);
  console.log(`via hub   ${fmt(viaHub)}`);
  console.log(`ratio     ${(viaHub.rps / direct.rps).toFixed(2)} (target >= 0.60)`);
  if (viaHub.cpuPerCall !== undefined) console.log(`hub CPU   ${viaHub.cpuPerCall.toFixed(0)} µs per call`);

  // Traces on vs off: a receiver that only counts what it gets (it shares the machine with the clients:
  // parsing here would slow the clients of the traced round), two hubs, alternating rounds.
  let exports = 0;
  let exportedBytes = 0;
  const receiver = createServer((req, res) => {
    req.on('data', (c) => (exportedBytes += c.length));
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const tracesUrl = `http://127.0.0.1:${receiver.address().port}/v1/traces`;
  const tracedPort = await start(['bench/hub-server.mjs', upstreamUrl], /HUB_LISTENING port=(\d+)/, { BENCH_TRACES_URL: tracesUrl, OTEL_BSP_SCHEDULE_DELAY: '200' });
  const off = [];
  const on = [];
  for (let round = 0; round < 3; round++) {
    off.push(await measure(`http://127.0.0.1:${hubPort}/mcp`, 'up_echo'));
    on.push(await measure(`http://127.0.0.1:${tracedPort}/mcp`, 'up_echo'));
  }
  const median = (rs) => rs.map((r) => r.rps).sort((a, b) => a - b)[1];
  console.log(`traces off ${median(off).toFixed(0).padStart(6)} calls/s (median of 3)`);
  console.log(`traces on  ${median(on).toFixed(0).padStart(6)} calls/s (median of 3; ${exports} exports, ${(exportedBytes / 1e6).toFixed(1)} MB of spans)`);
  console.log(`telemetry ratio ${(median(on) / median(off)).toFixed(2)} (target >= 0.90)`);
  receiver.closeAllConnections();
  receiver.close();
} finally {
  stopAll();
}
