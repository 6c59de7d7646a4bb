#!/usr/bin/env node
// What one tools/list decision costs as the catalogue grows (shipped bundle,
// input encoding and the decision's JSON included): p50 per decision at 10,
// 100 and 1,000 candidate tools over 5 servers, for a role that may use every
// tool (`mcp:tools:*`) and for a role with per-tool grants (exact names and
// prefix patterns on two servers, a whole third server), without and with the
// definition facts pinning adds (on by default; all approved). Checks each
// answer's visible list against the grants before it times anything.
// Needs `npx tsc -p tsconfig.json`.
//
//   node bench/list-decision.mjs [--decisions 400]
import path from 'node:path';
import { PolicyEngine } from '../dist/policy/index.js';
import { arg, listDecisionInput, root } from './lib.mjs';

const DECISIONS = arg('decisions', 400);
const SIZES = [10, 100, 1000];

const picky = [
  'server:s0:tools:call:tool_1',
  'server:s0:tools:call:tool_2',
  'server:s0:tools:list:tool_3*',
  'server:s1:tools:call:tool_1*',
  'server:s1:tools:call:*_5',
  'server:s2:tools:*',
];
const config = {
  authentication: { enabled: true },
  authorization: { enabled: true, roles: { picky: { permissions: picky } } },
};
// What the grants above show, computed here by hand from the permission grammar (docs/policy-contract.md).
function expectedPicky(c) {
  const n = c.name;
  if (c.server === 's0') return n === 'tool_1' || n === 'tool_2' || n.startsWith('tool_3');
  if (c.server === 's1') return n.startsWith('tool_1') || n.endsWith('_5');
  return c.server === 's2';
}

// Frozen, as the hub hands them over (src/hub/catalog.ts): the input encoder serialises such a list once.
const digest = `sha256:${'ab'.repeat(32)}`;
const candidates = (n, facts = false) =>
  Object.freeze(Array.from({ length: n }, (_, i) => ({
    server: `s${i % 5}`,
    kind: 'tool',
    name: `tool_${i}`,
    exposed: `s${i % 5}_tool_${i}`,
    // With pinning on (the default) every candidate carries its definition facts; approved ones without their description.
    ...(facts && { definition: { status: 'pinned', pinned_digest: digest, digest, description: null, mentions: [] } }),
  })));

// Built as the hub builds it (one per cell: the frozen list inside is what the encoder keeps).
const input = (roles, list) => listDecisionInput(roles, list);

const engine = await PolicyEngine.load(path.join(root, 'policies', 'bundle', 'hatago.tar.gz'), { runtimeData: config });
const roles = [
  ['user (every tool)', ['user'], () => true, false],
  ['per-tool grants', ['picky'], expectedPicky, false],
  ['user, pinned facts', ['user'], () => true, true],
  ['per-tool, pinned', ['picky'], expectedPicky, true],
];
const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`tools/list decision, p50 of ${DECISIONS} decisions in µs, CPU / wall (on a shared machine wall time includes waiting for a core), 5 servers:`);
console.log(`  ${'role'.padEnd(20)}${SIZES.map((n) => `${n} tools`.padStart(14)).join('')}`);
for (const [label, r, shows, facts] of roles) {
  const cells = [];
  for (const n of SIZES) {
    const list = candidates(n, facts);
    const inp = await input(r, list);
    const d = engine.decide(inp);
    const want = list.filter(shows).map((c) => c.exposed).sort();
    const got = [...(d.visible ?? [])].sort();
    if (d.allow !== true || JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`${label}, ${n} tools: expected ${want.length} visible, got ${JSON.stringify(d).slice(0, 300)}`);
    }
    for (let i = 0; i < 50; i++) engine.decide(inp); // warm-up
    const cpu = [];
    const wall = [];
    for (let i = 0; i < DECISIONS; i++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      engine.decide(inp);
      wall.push(Number(process.hrtime.bigint() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpu.push(c.user + c.system);
    }
    cells.push(`${p50(cpu).toFixed(0)} / ${p50(wall).toFixed(0)}`);
  }
  console.log(`  ${label.padEnd(20)}${cells.map((t) => t.padStart(14)).join('')}`);
}
