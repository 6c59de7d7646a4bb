#!/usr/bin/env node
// npm run policy:check -- the CI gate for policy sources:
//   1. opa fmt --list --fail          (formatting)
//   2. opa check --strict             (policies under the wasm capabilities;
//                                      tests under OPA's own, they never run in wasm)
//   3. package layout                 (package hatago.x lives in hatago/x/)
//   4. regal lint                     (Regal, the Rego linter, with .regal/config.yaml;
//                                      zero violations)
//   5. build-policy.mjs --check       (the shipped bundle matches the sources)
//
//   --src D   default policies/rego
//   --out F   bundle to compare (default policies/bundle/hatago.tar.gz)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeCapabilities } from './lib/capabilities.mjs';
import { opaPathOrExit, repoRoot, runOpa } from './lib/opa.mjs';
import { misplacedPackages } from './lib/packages.mjs';
import { regalPath } from './lib/regal.mjs';

const { values: opts } = parseArgs({
  options: {
    src: { type: 'string', default: join(repoRoot, 'policies', 'rego') },
    out: { type: 'string', default: join(repoRoot, 'policies', 'bundle', 'hatago.tar.gz') },
  },
});
const src = resolve(opts.src);
const dirArg = relative(process.cwd(), src) || '.';
const failures = [];

if (!existsSync(src)) {
  console.error(`policy:check: no policy sources at ${dirArg}`);
  process.exit(1);
}
opaPathOrExit('policy:check'); // a missing OPA is one line, not a stack trace

function step(name, args) {
  const r = runOpa(args, { cwd: process.cwd() });
  if (r.status === 0) {
    console.log(`ok    ${name}`);
    return;
  }
  console.log(`FAIL  ${name}`);
  const output = `${r.stdout}${r.stderr}`.trim();
  failures.push(`${name}:\n${output}`);
}

step('opa fmt', ['fmt', '--list', '--fail', dirArg]);
step('opa check --strict (policies, wasm capabilities)', [
  'check', '--strict', '--capabilities', writeCapabilities(), '--ignore', '*_test.rego', dirArg,
]);
step('opa check --strict (policies and tests)', ['check', '--strict', dirArg]);

const misplaced = misplacedPackages(src);
if (misplaced.length === 0) console.log('ok    package layout');
else {
  console.log('FAIL  package layout');
  failures.push(`package layout:\n${misplaced.map((m) => `  ${m.file}: package ${m.package} belongs in ${m.expected}`).join('\n')}`);
}

// Regal reads .regal/config.yaml from the repository root (each disabled rule says why there).
let regal;
try {
  regal = regalPath();
} catch (err) {
  console.error(`policy:check: ${err.message}`);
  process.exit(1);
}
const lint = spawnSync(regal, ['lint', '--no-color', '--config-file', join(repoRoot, '.regal', 'config.yaml'), dirArg], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (lint.status === 0) console.log('ok    regal lint');
else {
  console.log('FAIL  regal lint');
  failures.push(`regal lint:\n${`${lint.stdout ?? ''}${lint.stderr ?? ''}${lint.error ? String(lint.error) : ''}`.trim()}`);
}

const build = spawnSync(
  process.execPath,
  [join(dirname(fileURLToPath(import.meta.url)), 'build-policy.mjs'), '--check', '--src', src, '--out', resolve(opts.out)],
  { encoding: 'utf8' },
);
if (build.status === 0) console.log('ok    bundle is up to date');
else {
  console.log('FAIL  bundle is up to date');
  failures.push(`${build.stderr}${build.stdout}`.trim());
}

if (failures.length > 0) {
  for (const f of failures) console.error(`\npolicy:check: ${f}`);
  process.exit(1);
}
