#!/usr/bin/env node
// What definition facts cost a 100-item tools/list decision (shipped bundle,
// input encoding included): candidates without facts, with facts all
// "pinned" (no scan), and all "new" (every description scanned by the
// instruction patterns). Alternating rounds in one process; prints the
// median round per decision and the ratios to "no facts".
// Needs `npx tsc -p tsconfig.json`.
//
//   node bench/pinning-list.mjs [--rounds 40] [--round 200] [--items 100]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PolicyEngine } from '../dist/policy/index.js';
import { listDecisionInput } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: { rounds: { type: 'string', default: '40' }, round: { type: 'string', default: '200' }, items: { type: 'string', default: '100' } },
});
const ROUNDS = Number(opts.rounds);
const ROUND = Number(opts.round);
const ITEMS = Number(opts.items);

const config = { authentication: { enabled: true }, authorization: { enabled: true } };
const digest = `sha256:${'ab'.repeat(32)}`;
// Descriptions of a realistic length (about 200 characters), none matching a pattern.
const description = (i) => `Reads the file at path ${i} and returns its contents as text. Large files are cut at maxBytes; binary files are returned as base64. Paths are relative to the server's root folder.`;

const candidates = (status) => Array.from({ length: ITEMS }, (_, i) => ({
      server: `s${i % 5}`,
      kind: 'tool',
      name: `tool_${i}`,
      exposed: `s${i % 5}_tool_${i}`,
      // As the runtime sends them: approved definitions without their description.
      ...(status && { definition: { status, pinned_digest: digest, digest, description: status === 'pinned' ? null : description(i), mentions: [] } }),
    }));
// One input per variant, built as the hub builds it; each decision encodes it anew.
const inputs = Object.fromEntries(await Promise.all([undefined, 'pinned', 'new'].map(async (st) => [String(st), await listDecisionInput(['user'], candidates(st))])));
const input = (status) => inputs[String(status)];

const engine = await PolicyEngine.load(join(root, 'policies', 'bundle', 'hatago.tar.gz'), { runtimeData: config });
const variants = [['no facts', undefined], ['pinned', 'pinned'], ['new (scanned)', 'new']];
for (const [name, status] of variants) {
  const d = engine.decide(input(status));
  if (d.allow !== true || d.visible.length !== ITEMS) throw new Error(`${name}: expected every item visible, got ${JSON.stringify(d).slice(0, 200)}`);
  for (let i = 0; i < ROUND; i++) engine.decide(input(status)); // warm-up
}
const times = Object.fromEntries(variants.map(([n]) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, status] of variants) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ROUND; i++) engine.decide(input(status));
    times[name].push(Number(process.hrtime.bigint() - t0) / 1000 / ROUND);
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['no facts']);
console.log(`tools/list with ${ITEMS} candidates, ${ROUNDS} alternating rounds of ${ROUND} decisions each:`);
for (const [name] of variants) {
  const m = median(times[name]);
  console.log(`  ${name.padEnd(14)} ${m.toFixed(1).padStart(8)} µs/decision  ratio ${(m / base).toFixed(2)}`);
}
