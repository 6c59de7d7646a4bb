// Where the pinned Regal linter lives, for policy:check. The version has one
// source: the regal requirement in scripts/regal/go.mod (npm run regal:install).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './opa.mjs';

/** The pinned Regal version, e.g. "0.38.1", read from the tools module. */
export function regalVersion() {
  const goMod = readFileSync(join(repoRoot, 'scripts', 'regal', 'go.mod'), 'utf8');
  const m = /^\s*(?:require\s+)?github\.com\/open-policy-agent\/regal\s+v(\S+)/m.exec(goMod);
  if (!m) throw new Error('scripts/regal/go.mod has no github.com/open-policy-agent/regal requirement');
  return m[1];
}

/** Absolute path of the Regal binary: $HATAGO_REGAL, else .tools/regal-v<version>/regal. */
export function regalPath() {
  const override = process.env.HATAGO_REGAL;
  if (override) {
    if (!existsSync(override)) throw new Error(`HATAGO_REGAL=${override} does not exist: run npm run regal:install or set HATAGO_REGAL`);
    return resolve(override);
  }
  const p = join(repoRoot, '.tools', `regal-v${regalVersion()}`, 'regal');
  if (!existsSync(p)) throw new Error(`Regal ${regalVersion()} is not installed at ${p}: run npm run regal:install or set HATAGO_REGAL`);
  return p;
}
