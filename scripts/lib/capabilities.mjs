// Build capabilities: the OPA language features of the pinned CLI, but only
// the built-ins the opa-wasm SDK can run. A policy that calls anything else
// (time.now_ns, http.send, ...) then fails at `opa build`, not at request time.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runOpa } from './opa.mjs';

const sdkCapabilitiesPath = join(repoRoot, 'node_modules', '@open-policy-agent', 'opa-wasm', 'capabilities.json');

/** Git-ignored folder for derived build inputs. */
export const buildDir = join(repoRoot, '.tmp', 'policy-build');

export function deriveCapabilities() {
  const current = runOpa(['capabilities', '--current']);
  if (current.status !== 0) throw new Error(`opa capabilities --current failed: ${current.stderr.trim()}`);
  const opaCaps = JSON.parse(current.stdout);
  const sdkCaps = JSON.parse(readFileSync(sdkCapabilitiesPath, 'utf8'));
  const sdkBuiltins = new Set(sdkCaps.builtins.map((b) => b.name));
  // Declarations come from OPA (they must match the compiler); membership from the SDK.
  const builtins = opaCaps.builtins.filter((b) => sdkBuiltins.has(b.name));
  // wasm_abi_versions is left out on purpose: OPA does not need it to emit
  // wasm, and the SDK's list stops at 1.2 while OPA 1.x emits ABI 1.3, which
  // the SDK runs through its >= 1.2 fast path (checked by test/policy).
  return { builtins, future_keywords: opaCaps.future_keywords ?? [], features: opaCaps.features ?? [] };
}

/** Writes the derived capabilities to the build folder and returns the file path. */
export function writeCapabilities() {
  mkdirSync(buildDir, { recursive: true });
  const file = join(buildDir, 'capabilities.json');
  // Write-then-rename: parallel builds (tests) never read a half-written file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(deriveCapabilities(), null, 2) + '\n');
  renameSync(tmp, file);
  return file;
}
