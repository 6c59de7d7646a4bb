// The policy scripts and OPA lookup the npm scripts use (scripts/*.mjs,
// scripts/lib/opa.mjs), reached from the CLI so both take the same path.
// Imported lazily: `hatago serve` must not depend on them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { HatagoError } from '../../../errors/index.js';
import { packagePath } from '../../../util/package-root.js';

interface OpaModule {
  opaPath(): string;
  runOpa(args: string[], opts?: { cwd?: string }): { status: number; stdout: string; stderr: string };
}

interface CapabilitiesModule {
  writeCapabilities(): string;
}

interface OpaErrorsModule {
  opaErrorLines(text: string, opts?: { base?: string }): string[] | null;
}

export interface Opa {
  path: string;
  run(args: string[], cwd?: string): { status: number; stdout: string; stderr: string };
  /** OPA's error output as `file:line: message` lines (scripts/lib/opa-errors.mjs), null if none found. */
  errorLines(text: string): string[] | null;
  /** Writes the build's capabilities file (wasm built-ins only) and returns its path. */
  capabilities(): string;
}

async function scriptModule<T>(name: string): Promise<T> {
  const file = packagePath('scripts', 'lib', name);
  if (!existsSync(file)) throw new HatagoError('ERR_POLICY_TOOL_FAILED', { message: `policy scripts not found at ${file} (run hatago policy from a hatago source checkout)` });
  return (await import(pathToFileURL(file).href)) as T;
}

/** The OPA CLI the scripts would use, or ERR_OPA_NOT_FOUND in one line. */
export async function requireOpa(): Promise<Opa> {
  const mod = await scriptModule<OpaModule>('opa.mjs');
  const errors = await scriptModule<OpaErrorsModule>('opa-errors.mjs');
  const caps = await scriptModule<CapabilitiesModule>('capabilities.mjs');
  let path: string;
  try {
    path = mod.opaPath();
  } catch (err) {
    const why = ((err as Error).message ?? String(err)).replace(/:\s*run npm run opa:install( or set HATAGO_OPA)?$/, '');
    throw new HatagoError('ERR_OPA_NOT_FOUND', { message: `OPA not found (${why}): run npm run opa:install or set HATAGO_OPA` });
  }
  return { path, run: (args, cwd) => mod.runOpa(args, { cwd: cwd ?? process.cwd() }), errorLines: (text) => errors.opaErrorLines(text), capabilities: () => caps.writeCapabilities() };
}

/** Runs scripts/<name> with node, output straight to the terminal; returns its exit status. */
export function runPolicyScript(name: string, args: string[]): number {
  const file = packagePath('scripts', name);
  if (!existsSync(file)) throw new HatagoError('ERR_POLICY_TOOL_FAILED', { message: `policy script not found at ${file}` });
  const r = spawnSync(process.execPath, [file, ...args], { stdio: 'inherit', cwd: process.cwd() });
  if (r.error) throw new HatagoError('ERR_POLICY_TOOL_FAILED', { message: `cannot run ${name}: ${r.error.message}` });
  return r.status ?? 1;
}
