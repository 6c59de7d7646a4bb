#!/usr/bin/env node
// What one tools/list decision costs as the catalogue grows (shipped bundle,
// input encoding and the decision's JSON included): p50 per decision at 10,
// 100 and 1,000 candidate tools over 5 servers, for a role that may use every
// tool (`mcp:tools:*`) and for a role with per-tool grants (exact names and
// prefix patterns on two servers, a whole third server). Checks each
// answer's visible list against the grants before it times anything.
// Needs `npx tsc -p tsconfig.json`.
//
//   node bench/list-decision.mjs [--decisions 400]
import path from 'node:path';
import { PolicyEngine } from '../dist/policy/index.js';
import { arg, root } from './lib.mjs';

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
const candidates = (n) =>
  Object.freeze(Array.from({ length: n }, (_, i) => ({ server: `s${i % 5}`, kind: 'tool', name: `tool_${i}`, exposed: `s${i % 5}_tool_${i}` })));

function input(roles, list) {
  return {
    contract: 1,
    stage: 'request',
    now_ns: Date.now() * 1e6,
    transport: 'http',
    client: { ip: '10.1.2.3', origin: null, user_agent: 'bench/1.0' },
    principal: { sub: 'u', username: null, roles, permissions: null, scope: null, session_id: null, claims: {} },
    request: { method: 'tools/list', kind: null, server: null, name: null, exposed: null, arguments: null, arguments_size: 0, params: null, protocol_version: '2025-11-25', session_id: null },
    candidates: list,
  };
}

const engine = await PolicyEngine.load(path.join(root, 'policies', 'bundle', 'hatago.tar.gz'), { runtimeData: config });
const roles = [
  ['user (every tool)', ['user'], () => true],
  ['per-tool grants', ['picky'], expectedPicky],
];
const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`tools/list decision, p50 of ${DECISIONS} decisions (µs), 5 servers:`);
console.log(`  ${'role'.padEnd(20)}${SIZES.map((n) => `${n} tools`.padStart(12)).join('')}`);
for (const [label, r, shows] of roles) {
  const cells = [];
  for (const n of SIZES) {
    const list = candidates(n);
    const d = engine.decide(input(r, list));
    const want = list.filter(shows).map((c) => c.exposed).sort();
    const got = [...(d.visible ?? [])].sort();
    if (d.allow !== true || JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`${label}, ${n} tools: expected ${want.length} visible, got ${JSON.stringify(d).slice(0, 300)}`);
    }
    for (let i = 0; i < 50; i++) engine.decide(input(r, list)); // warm-up
    const times = [];
    for (let i = 0; i < DECISIONS; i++) {
      const t0 = process.hrtime.bigint();
      engine.decide(input(r, list));
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    cells.push(p50(times));
  }
  console.log(`  ${label.padEnd(20)}${cells.map((t) => t.toFixed(0).padStart(12)).join('')}`);
}
