#!/usr/bin/env node
// `npm run bench`: builds dist/ and runs every benchmark in turn; each prints its own figures.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureWrk, root } from './lib.mjs';
const benches = ['policy-eval.mjs', 'pinning-list.mjs', 'list-decision.mjs', 'hub.mjs', 'telemetry.mjs', 'startup.mjs', 'ratelimit.mjs', 'policy-reload.mjs', 'audit-log.mjs', 'sanitizer.mjs', 'login-timing.mjs'];
const only = process.argv.slice(2);

const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
ensureWrk(); // bench/hub's load generator (Debian's wrk), installed once here
for (const b of benches.filter((b) => only.length === 0 || only.some((o) => b.startsWith(o)))) {
  console.log(`\n== bench/${b}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bench', b)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
