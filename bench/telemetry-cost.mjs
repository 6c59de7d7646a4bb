#!/usr/bin/env node
// What traces cost the hub per call, without the hub: the span work of one
// traced tools/call (the HTTP span, the JSON-RPC span, twelve stage spans,
// the forward stage's traceparent, the decision attributes) driven through
// src/telemetry/tracing.ts as the hub drives it, exported to bench/otlp-sink.mjs
// (its own process) by the same batch processor and exporter. Prints this
// process's CPU time (all its threads: GC helpers included) per traced call,
// and the same loop's with traces off, measured in one run in alternating
// rounds. A tool for finding costs; the figure that counts is bench/telemetry.mjs's.
// Needs `npx tsc -p tsconfig.json`.
//
//   node bench/telemetry-cost.mjs [--calls N] [--rounds R]
import { spawn } from 'node:child_process';
import { arg, median, root } from './lib.mjs';
import { Tracing } from '../dist/telemetry/tracing.js';
import { LIFECYCLE } from '../dist/pipeline/lifecycle.js';

const CALLS = arg('calls', 10000);
const ROUNDS = arg('rounds', 5);

const sink = spawn(process.execPath, ['bench/otlp-sink.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
process.on('exit', () => sink.kill('SIGKILL'));
const port = await new Promise((resolve) => sink.stderr.on('data', (b) => { const m = /port=(\d+)/.exec(String(b)); if (m) resolve(Number(m[1])); }));
const tracing = new Tracing({ traces: { enabled: true, endpoint: `http://127.0.0.1:${port}/v1/traces` } }, process.env);
const stages = LIFECYCLE;

/** One call's exchanges as the hub makes them; `traced` runs the tracing hooks. */
async function call(i, traced) {
  const http = { req: { method: 'POST', headers: { host: '127.0.0.1', 'content-type': 'application/json', 'mcp-session-id': 'abc' } } };
  const end = traced ? tracing.http(http, '/mcp') : undefined;
  const caller = { transport: 'http', protocolVersion: '2025-06-18', client: { ip: '127.0.0.1', origin: null, userAgent: 'bench' }, principal: null, ...(http.trace && { trace: http.trace }) };
  const x = { caller, method: 'tools/call', params: { name: 'up_echo', arguments: { text: `hello ${i}` } }, plan: { guard: { server: 'up', exposed: 'up_echo' }, upstream: { server: 'up' } }, decision: { decisionId: `d-${i}`, revision: 'r1' } };
  const endMcp = traced ? tracing.mcp(x) : undefined;
  for (const s of stages) {
    if (traced) tracing.stageStarted(s, x);
    if (s.name === 'forward') await new Promise((r) => setTimeout(r, 1)); // the upstream call: I/O runs meanwhile (the exports too)
    if (traced) tracing.stageEnded(s, x, { durationMs: 0 });
  }
  endMcp?.();
  end?.(200);
}

async function round(traced) {
  const cpu0 = process.cpuUsage();
  // 8 concurrent callers, as the benches' clients.
  let n = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (n < CALLS) await call(n++, traced);
  }));
  // Let the batch processor's exports of this round go out (their cost is the traced round's).
  await new Promise((r) => setTimeout(r, traced ? 300 : 300));
  const cpu = process.cpuUsage(cpu0);
  if (traced) tracedCalls += CALLS;
  return ((cpu.user + cpu.system) / CALLS);
}

let tracedCalls = 0;
await round(true);
await round(false);
const on = [];
const off = [];
for (let r = 0; r < ROUNDS; r++) {
  off.push(await round(false));
  on.push(await round(true));
}
await tracing.close();
const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
const expected = tracedCalls * (stages.length + 2);
if (stats.spans !== expected) {
  console.log(`NO FIGURE: the sink got ${stats.spans} spans, ${expected} made: spans were dropped (a dropped span costs nothing)`);
  process.exit(1);
}
console.log(`per call, CPU µs of this process (median of ${ROUNDS} rounds of ${CALLS} calls): traces off ${median(off).toFixed(1)}, on ${median(on).toFixed(1)}, traces' cost ${(median(on) - median(off)).toFixed(1)} µs per call (${stats.spans} spans exported, none dropped)`);
process.exit(0);
