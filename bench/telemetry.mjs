#!/usr/bin/env node
// What traces cost: tools/call `echo` throughput of the hub with traces off
// against the same hub with traces on, exporting every span to a local OTLP
// receiver (bench/otlp-sink.mjs, its own process), in one run: alternating
// rounds (off-on, then on-off, ...), each pair's ratio and their median. The
// hub's CPU time per call is printed beside it (less sensitive to a busy
// machine than calls/s). No figure is printed when any call failed (a non-2xx
// answer, a JSON-RPC error, a tool error, a wrong answer) or when the traced
// hub exported fewer spans than it made (a dropped span costs nothing).
// Needs `npx tsc -p tsconfig.json`; OTEL_* variables reach the traced hub
// (e.g. OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json). --aa runs the second
// hub untraced too: the ratio it prints is the machine's noise, not traces.
//
//   node bench/telemetry.mjs [--clients N] [--seconds S] [--rounds R] [--warmup S] [--aa]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { arg, root } from './lib.mjs';

const CLIENTS = arg('clients', 8);
const SECONDS = arg('seconds', 3);
const ROUNDS = arg('rounds', 8);
const AA = process.argv.includes('--aa');
const WARMUP_SECONDS = 1;
/** Before the first round, each hub runs this long: the JIT and the heap settle (the traced hub has more code to compile). */
const FIRST_WARMUP_SECONDS = arg('warmup', 6);
const PROBE_CALLS = 20;
/** How long the traced hub may hold a span before it exports it (the batch processor's delay), plus slack. */
const SETTLE_MS = Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 5000) + 1500;

const children = [];
function start(args, re, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FIXTURE_PORT: '0', ...env } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const listening = (b) => {
      out += b;
      const m = out.match(re);
      if (!m) return;
      // Past its first line a child's output is drained, not kept (the upstream prints a line per call).
      child.stderr.off('data', listening).on('data', () => {});
      resolve({ child, port: Number(m[1]) });
    };
    child.stderr.on('data', listening);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}
function stopAll() {
  // SIGINT lets a profiled hub write its profile (HUB_PROF=dir profiles the traced hub).
  for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

/** CPU seconds a child has used (Linux /proc: utime + stime in USER_HZ 100 ticks), or undefined elsewhere. */
function cpuSeconds(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const failures = { http: 0, jsonrpc: 0, tool: 0, wrong: 0 };
const failureSamples = [];
function failed(kind, detail) {
  failures[kind]++;
  if (failureSamples.length < 5) failureSamples.push(`${kind}: ${detail}`);
}

async function connect(url) {
  return Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const c = new Client({ name: 'bench', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(url)));
      return c;
    }),
  );
}

/** Calls `up_echo` from every client of `hub` for `seconds`; every failure is counted, none stops the round. */
async function load(hub, seconds) {
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  await Promise.all(
    hub.clients.map(async (c, i) => {
      while (performance.now() < end) {
        calls++;
        try {
          const r = await c.callTool({ name: 'up_echo', arguments: { text: `hello ${i}` } });
          if (r.isError) failed('tool', JSON.stringify(r.content));
          else if (r.content?.[0]?.text !== `hello ${i}`) failed('wrong', JSON.stringify(r.content));
        } catch (err) {
          // The SDK throws McpError for a JSON-RPC error answer, anything else for an HTTP status that is not 2xx.
          failed(err instanceof McpError ? 'jsonrpc' : 'http', String(err));
        }
      }
    }),
  );
  hub.calls += calls;
  return calls;
}

async function round(hub) {
  await load(hub, WARMUP_SECONDS);
  const cpu0 = cpuSeconds(hub.child);
  const t0 = performance.now();
  const calls = await load(hub, SECONDS);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(hub.child);
  return { rps: calls / elapsed, cpuPerCall: cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1e6) / calls : undefined };
}

async function sinkStats(port) {
  const r = await fetch(`http://127.0.0.1:${port}/stats`);
  return r.json();
}
/** The sink's span count once it stops growing (or reaches `atLeast`). */
async function settled(port, atLeast = Infinity) {
  let last = await sinkStats(port);
  let since = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await sinkStats(port);
    if (now.spans >= atLeast) return now;
    if (now.spans !== last.spans) [last, since] = [now, performance.now()];
    else if (performance.now() - since > SETTLE_MS) return now;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const up = await start(['test/fixtures/servers/fixture.mjs', 'http'], /FIXTURE_LISTENING port=(\d+)/);
  const upstreamUrl = `http://127.0.0.1:${up.port}/mcp`;
  const sink = await start(['bench/otlp-sink.mjs'], /SINK_LISTENING port=(\d+)/);
  const offHub = await start([...(process.env.HUB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUB_PROF}/off`] : []), 'bench/hub-server.mjs', upstreamUrl], /HUB_LISTENING port=(\d+)/);
  const prof = process.env.HUB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUB_PROF}/on`] : [];
  const onHub = await start([...prof, 'bench/hub-server.mjs', upstreamUrl], /HUB_LISTENING port=(\d+)/, AA ? {} : { BENCH_TRACES_URL: `http://127.0.0.1:${sink.port}/v1/traces` });
  const off = { ...offHub, clients: await connect(`http://127.0.0.1:${offHub.port}/mcp`), calls: 0 };
  const on = { ...onHub, clients: await connect(`http://127.0.0.1:${onHub.port}/mcp`), calls: 0 };

  // Spans per call, measured: what the traced hub makes for PROBE_CALLS calls once the clients are connected.
  const before = AA ? { spans: 0 } : await settled(sink.port);
  if (!AA) for (let i = 0; i < PROBE_CALLS; i++) await on.clients[0].callTool({ name: 'up_echo', arguments: { text: 'probe' } });
  const probed = AA ? before : await settled(sink.port);
  const spansPerCall = (probed.spans - before.spans) / PROBE_CALLS;

  await load(off, FIRST_WARMUP_SECONDS);
  await load(on, FIRST_WARMUP_SECONDS);
  const pairs = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? [off, on] : [on, off];
    const results = new Map();
    for (const hub of order) results.set(hub, await round(hub));
    pairs.push({ off: results.get(off), on: results.get(on) });
  }
  const expected = probed.spans + spansPerCall * on.calls;
  const exported = AA ? undefined : await settled(sink.port, expected);

  console.log(`tools/call echo, ${CLIENTS} concurrent clients, ${ROUNDS} rounds of ${SECONDS}s per hub (alternating)${AA ? ', A/A: both hubs untraced' : `, ${spansPerCall.toFixed(1)} spans per call`}`);
  for (const [i, p] of pairs.entries()) {
    const cpu = p.off.cpuPerCall !== undefined ? `   hub CPU ${p.off.cpuPerCall.toFixed(0)} / ${p.on.cpuPerCall.toFixed(0)} µs per call` : '';
    console.log(`round ${i + 1}   off ${p.off.rps.toFixed(0).padStart(5)}   on ${p.on.rps.toFixed(0).padStart(5)} calls/s   ratio ${(p.on.rps / p.off.rps).toFixed(3)}${cpu}`);
  }
  console.log(`calls made: off ${off.calls}, on ${on.calls} (warm-ups and probe included)`);
  const failedCalls = Object.values(failures).reduce((a, b) => a + b, 0);
  if (failedCalls > 0) {
    console.log(`NO FIGURE: ${failedCalls} calls failed (${JSON.stringify(failures)}); first: ${failureSamples.join(' | ')}`);
    process.exitCode = 1;
  } else if (!AA && (!Number.isInteger(spansPerCall) || spansPerCall < 1 || exported.spans < expected)) {
    console.log(`NO FIGURE: the traced hub exported ${exported.spans} spans, ${expected} expected (${spansPerCall} per call): spans were dropped`);
    process.exitCode = 1;
  } else {
    const ratios = pairs.map((p) => p.on.rps / p.off.rps);
    const cpuRatios = pairs.every((p) => p.on.cpuPerCall && p.off.cpuPerCall) ? pairs.map((p) => p.off.cpuPerCall / p.on.cpuPerCall) : undefined;
    if (!AA) console.log(`exported ${exported.spans} spans in ${exported.exports} exports, ${(exported.bytes / 1e6).toFixed(1)} MB (${(exported.bytes / exported.spans).toFixed(0)} bytes per span)`);
    console.log('no call failed (non-2xx, JSON-RPC error, tool error or wrong answer: 0)');
    const what = AA ? 'A/A (both hubs untraced: the noise floor)' : 'throughput on/off';
    console.log(`${what} ${median(ratios).toFixed(2)} (median of ${ROUNDS} pairs; range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}${AA ? '' : '; target >= 0.90'})`);
    if (cpuRatios) console.log(`hub CPU per call off/on ${median(cpuRatios).toFixed(2)} (median; range ${Math.min(...cpuRatios).toFixed(2)}-${Math.max(...cpuRatios).toFixed(2)})`);
  }
} finally {
  stopAll();
}
