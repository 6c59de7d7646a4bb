#!/usr/bin/env node
// npm run policy:test -- runs `opa test` on policies/rego and fails when a
// test fails, when there are no tests, when a policy package has no
// *_test.rego, or when total coverage is under the threshold. Before the
// tests, the sources must compile as the build compiles them (same
// capabilities), so a policy that `policy:build` refuses never passes here.
// Errors are `file:line: message`; failing tests show the values involved.
//
//   --src D            default policies/rego
//   --threshold N      minimum total coverage in percent (default 90)
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeCapabilities } from './lib/capabilities.mjs';
import { opaErrorLines } from './lib/opa-errors.mjs';
import { opaPathOrExit, runOpa, repoRoot } from './lib/opa.mjs';
import { untestedPackages } from './lib/packages.mjs';

const { values: opts } = parseArgs({
  options: {
    src: { type: 'string', default: join(repoRoot, 'policies', 'rego') },
    threshold: { type: 'string', default: '90' },
  },
});
const src = resolve(opts.src);
const threshold = Number(opts.threshold);
// Relative inside the working folder (short messages), absolute outside it.
const rel = relative(process.cwd(), src);
const dirArg = rel === '' ? '.' : rel.startsWith('..') ? src : rel;
const problems = [];

if (!existsSync(src)) {
  console.error(`policy:test: no policy sources at ${dirArg}`);
  process.exit(1);
}
opaPathOrExit('policy:test');

/** Prints OPA's errors one a line (file:line: message) and exits 1. */
function failWith(what, r) {
  const text = `${r.stderr}\n${r.stdout}`.trim();
  const lines = opaErrorLines(r.stderr) ?? opaErrorLines(r.stdout) ?? [text];
  console.error(`policy:test: ${what}:`);
  for (const l of lines) console.error(`  ${l}`);
  process.exit(1);
}

// 0. Every file parses, and the policy files compile with the build's
// capabilities (wasm built-ins only; tests are not built, so not checked).
const parsed = runOpa(['check', '--format=json', dirArg], { cwd: process.cwd() });
if (parsed.status !== 0) failWith('the sources do not compile', parsed);
const capable = runOpa(['check', '--format=json', '--capabilities', writeCapabilities(), '--ignore', '*_test.rego', dirArg], { cwd: process.cwd() });
if (capable.status !== 0) failWith('opa build would refuse these policies', capable);

// 1. Results per test (JSON so failures and the test count are machine-read).
const run = runOpa(['test', '--format=json', dirArg], { cwd: process.cwd() });
let results;
try {
  results = JSON.parse(run.stdout || '[]');
} catch {
  failWith('opa test failed', run);
}
if (run.status !== 0 && results.length === 0) failWith('opa test failed', run);
for (const t of results) {
  const status = t.error ? 'ERROR' : t.fail ? 'FAIL' : t.skip ? 'SKIP' : 'PASS';
  const where = `${t.location?.file ?? '?'}:${t.location?.row ?? '?'}`;
  console.log(`${status.padEnd(5)} ${t.package}.${t.name}  (${where})`);
  if (t.error) console.log(`      ${JSON.stringify(t.error)}`);
}
const failed = results.filter((t) => t.fail || t.error);
const skipped = results.filter((t) => t.skip);
if (failed.length > 0) {
  // OPA's own report, with the value of every variable in the failing expressions.
  const values = runOpa(['test', '--var-values', dirArg], { cwd: process.cwd() });
  const report = failuresSection(values.stdout);
  if (report) console.log(`\n${report}`);
}
if (run.status !== 0 && failed.length === 0) problems.push(`opa test exited ${run.status}: ${run.stderr.trim()}`);
if (results.length === 0) problems.push('no tests found (every policy package needs a *_test.rego)');
if (failed.length > 0) problems.push(`${failed.length} of ${results.length} tests failed`);
if (skipped.length > 0) problems.push(`${skipped.length} tests are skipped (todo_ tests are not allowed)`);

// 2. Every policy package has tests.
for (const u of untestedPackages(src)) {
  problems.push(`package ${u.package} (${u.files.join(', ')}) has no *_test.rego`);
}

// 3. Coverage (only meaningful when the tests pass).
if (failed.length === 0 && results.length > 0) {
  const cov = runOpa(['test', '--coverage', '--format=json', dirArg], { cwd: process.cwd() });
  let report;
  try {
    report = JSON.parse(cov.stdout);
  } catch {
    problems.push(`opa test --coverage failed: ${(cov.stderr || cov.stdout).trim()}`);
  }
  if (report) {
    // Threshold on policy files only: test files are always ~100% covered
    // and would hide untested rules in the total OPA prints.
    console.log('\ncoverage (policy files; tests excluded from the total):');
    let covered = 0;
    let notCovered = 0;
    for (const [file, f] of Object.entries(report.files ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (file.endsWith('_test.rego')) continue;
      covered += f.covered_lines ?? 0;
      notCovered += f.not_covered_lines ?? 0;
      console.log(`  ${(f.coverage ?? 0).toFixed(1).padStart(5)}%  ${file}`);
    }
    const total = covered + notCovered === 0 ? 0 : (100 * covered) / (covered + notCovered);
    console.log(`  ${total.toFixed(1).padStart(5)}%  total (threshold ${threshold}%)`);
    if (total < threshold) problems.push(`total coverage ${total.toFixed(1)}% is under ${threshold}%`);
  }
}

/** The FAILURES part of `opa test --var-values` (the passing list is printed above already). */
function failuresSection(text) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === 'FAILURES');
  if (start < 0) return null;
  const body = lines.slice(start + 2);
  const end = body.findIndex((l) => /^-{20,}$/.test(l));
  return ['failing tests, with the values OPA saw:', ...body.slice(0, end < 0 ? undefined : end)].join('\n').trimEnd();
}

if (problems.length > 0) {
  for (const p of problems) console.error(`policy:test: ${p}`);
  process.exit(1);
}
console.log(`\npolicy:test: ${results.length} tests passed`);
