#!/usr/bin/env node
// Checks the shipped Prometheus rules with promtool (Debian: apt-get install
// prometheus): `promtool check rules` (syntax, groups) and `promtool test
// rules` (the alerts fire on the series they watch). `npm run prometheus:check`;
// test/metrics/promtool.test.ts runs it and also lints a live /metrics scrape.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'prometheus');
const promtool = process.env.PROMTOOL ?? 'promtool';

const runs = [
  ['check', 'rules', path.join(dir, 'hatago-rules.yml')],
  ['test', 'rules', path.join(dir, 'hatago-rules.test.yml')],
];
let failed = false;
for (const args of runs) {
  const r = spawnSync(promtool, args, { encoding: 'utf8' });
  if (r.error) {
    process.stderr.write(`prometheus:check: cannot run ${promtool} (${r.error.message}); install Debian's prometheus package: apt-get install prometheus\n`);
    process.exit(2);
  }
  const out = `${r.stdout}${r.stderr}`.trim();
  process.stdout.write(`${r.status === 0 ? 'ok  ' : 'FAIL'}  promtool ${args.slice(0, 2).join(' ')} ${path.relative(process.cwd(), args[2])}\n`);
  if (r.status !== 0) {
    failed = true;
    process.stdout.write(`${out}\n`);
  }
}
process.exit(failed ? 1 : 0);
