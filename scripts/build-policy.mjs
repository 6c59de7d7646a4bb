#!/usr/bin/env node
// npm run policy:build -- compiles policies/rego into the wasm bundle that
// ships with hatago (policies/bundle/hatago.tar.gz).
//
//   --out F          bundle to write (default policies/bundle/hatago.tar.gz)
//   --src D          Rego + data folder (default policies/rego)
//   --entrypoint E   default hatago/decision (the policy contract's only entrypoint)
//   --signing-key K  passed to `opa build` (signed bundles)
//   --check          build into a temp folder and compare policy.wasm, data.json
//                    and .manifest with --out; exit 1 when they differ
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readBundleFiles } from './lib/bundle-files.mjs';
import { writeCapabilities } from './lib/capabilities.mjs';
import { opaErrorLines } from './lib/opa-errors.mjs';
import { opaPathOrExit, repoRoot, runOpa } from './lib/opa.mjs';
import { sourceRevision } from './lib/revision.mjs';

const COMPARED = ['policy.wasm', 'data.json', '.manifest'];

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: join(repoRoot, 'policies', 'bundle', 'hatago.tar.gz') },
    src: { type: 'string', default: join(repoRoot, 'policies', 'rego') },
    entrypoint: { type: 'string', default: 'hatago/decision' },
    'signing-key': { type: 'string' },
    check: { type: 'boolean', default: false },
  },
});

const src = resolve(opts.src);
const out = resolve(opts.out);
const shown = (p) => relative(process.cwd(), p) || p;

function fail(message) {
  console.error(`policy:build: ${message}`);
  process.exit(1);
}

function build(target) {
  if (!existsSync(src)) fail(`no policy sources at ${shown(src)}`);
  opaPathOrExit('policy:build');
  const capabilities = writeCapabilities();
  const revision = sourceRevision(src);
  const args = [
    'build', '-t', 'wasm',
    '-e', opts.entrypoint,
    '--capabilities', capabilities,
    '--ignore', '*_test.rego',
    '--revision', revision,
    '-o', target,
  ];
  // OPA signs only in bundle mode; for a plain folder of Rego and data.json
  // it emits the same bundle either way (checked by test/policy).
  if (opts['signing-key']) args.push('--bundle', '--signing-key', resolve(opts['signing-key']));
  // Build from inside the source folder so paths in the bundle do not depend
  // on where the sources live (same sources, same bundle).
  args.push('.');
  mkdirSync(dirname(target), { recursive: true });
  const r = runOpa(args, { cwd: src });
  if (r.status !== 0) {
    // file:line: message, paths as the user names them (OPA ran inside src).
    const lines = opaErrorLines(r.stderr || r.stdout, { base: shown(src) });
    fail(`opa build failed:\n${lines ? lines.map((l) => `  ${l}`).join('\n') : (r.stderr || r.stdout).trim()}`);
  }
  return revision;
}

function differingFiles(a, b) {
  const fa = readBundleFiles(a);
  const fb = readBundleFiles(b);
  return COMPARED.filter((name) => {
    const x = fa.get(name);
    const y = fb.get(name);
    return !x || !y || !x.equals(y);
  });
}

if (opts.check) {
  const tmp = mkdtempSync(join(tmpdir(), 'hatago-policy-check-'));
  // fail() exits at once: the scratch folder goes with the process, whatever the outcome.
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  try {
    const fresh = join(tmp, 'bundle.tar.gz');
    build(fresh);
    const stale = `${shown(out)} is stale: run npm run policy:build`;
    if (!existsSync(out)) fail(`${stale} (it does not exist)`);
    const differ = differingFiles(fresh, out);
    if (differ.length > 0) fail(`${stale} (${differ.join(", ")} ${differ.length === 1 ? "differs" : "differ"} from what ${shown(src)} compiles to)`);
    console.log(`policy:build: ${shown(out)} is up to date`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  const revision = build(out);
  console.log(`policy:build: wrote ${shown(out)} (revision ${revision})`);
}
