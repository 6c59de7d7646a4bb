// Where the pinned OPA CLI lives, for every policy script and test.
// The version has one source: the opa requirement in scripts/opa/go.mod.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pinned OPA version, e.g. "1.22.4", read from the tools module. */
export function opaVersion() {
  const goMod = readFileSync(join(repoRoot, 'scripts', 'opa', 'go.mod'), 'utf8');
  const m = /^\s*github\.com\/open-policy-agent\/opa\s+v(\S+)/m.exec(goMod);
  if (!m) throw new Error('scripts/opa/go.mod has no github.com/open-policy-agent/opa requirement');
  return m[1];
}

/** Absolute path of the OPA binary: $HATAGO_OPA, else .tools/opa-v<version>/opa. */
export function opaPath() {
  const override = process.env.HATAGO_OPA;
  if (override) {
    if (!existsSync(override)) throw new Error(`HATAGO_OPA=${override} does not exist: run npm run opa:install or set HATAGO_OPA`);
    return resolve(override);
  }
  const p = join(repoRoot, '.tools', `opa-v${opaVersion()}`, 'opa');
  if (!existsSync(p)) throw new Error(`OPA ${opaVersion()} is not installed at ${p}: run npm run opa:install or set HATAGO_OPA`);
  return p;
}

/** For scripts: OPA's path, or one line `<name>: <why>` and exit 1 (no stack trace). */
export function opaPathOrExit(name) {
  try {
    return opaPath();
  } catch (err) {
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  }
}

/**
 * Runs OPA synchronously. Returns { status, stdout, stderr }; never throws on a
 * non-zero exit, so callers decide what a failure means.
 */
export function runOpa(args, { cwd = repoRoot, inherit = false } = {}) {
  const r = spawnSync(opaPath(), args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: inherit ? 'inherit' : 'pipe',
  });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
