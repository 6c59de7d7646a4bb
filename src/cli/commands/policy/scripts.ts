// `hatago policy test|build|check`: the npm policy scripts (same gates, same
// bundle, same capability check), pointed at --dir. OPA is looked up first so a missing CLI is one
// clear line; the scripts print their own results.
import path from 'node:path';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { runCommand } from '../../run-command.js';
import { inputError } from './inputs.js';
import { requireOpa, runPolicyScript } from './opa-tools.js';

export const DEFAULT_DIR = path.join('policies', 'rego');
export const DEFAULT_BUNDLE = path.join('policies', 'bundle', 'hatago.tar.gz');

interface DirOptions {
  dir: string;
}

async function prepare(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  if (!existsSync(abs)) throw inputError(`no policy sources at ${dir} (use --dir)`);
  await requireOpa();
  return abs;
}

function finish(status: number): void {
  if (status !== 0) process.exitCode = 1;
}

export function registerScriptCommands(policy: Command): void {
  policy
    .command('test')
    .description('compile as build does (wasm built-ins only), then opa test with coverage: fails on a compile error, a failed or skipped test, an untested package, or coverage under the threshold')
    .option('--dir <dir>', 'Rego sources and data.json', DEFAULT_DIR)
    .option('--threshold <percent>', 'minimum coverage of policy files', '90')
    .action(
      runCommand(async (opts: DirOptions & { threshold: string }) => {
        finish(runPolicyScript('test-policy.mjs', ['--src', await prepare(opts.dir), '--threshold', opts.threshold]));
      }),
    );

  policy
    .command('build')
    .description('build the wasm bundle (entrypoint hatago/decision, wasm-only built-ins, content-hash revision)')
    .option('--dir <dir>', 'Rego sources and data.json', DEFAULT_DIR)
    .option('--out <file>', 'bundle to write', DEFAULT_BUNDLE)
    .option('--signing-key <key>', 'sign the bundle with this key file (opa build --signing-key)')
    .action(
      runCommand(async (opts: DirOptions & { out: string; signingKey?: string }) => {
        const args = ['--src', await prepare(opts.dir), '--out', path.resolve(opts.out)];
        if (opts.signingKey !== undefined) args.push('--signing-key', opts.signingKey);
        finish(runPolicyScript('build-policy.mjs', args));
      }),
    );

  policy
    .command('check')
    .description('opa fmt check, opa check --strict (wasm built-ins), and that --bundle is what --dir compiles to')
    .option('--dir <dir>', 'Rego sources and data.json', DEFAULT_DIR)
    .option('--bundle <file>', 'bundle checked for staleness', DEFAULT_BUNDLE)
    .action(
      runCommand(async (opts: DirOptions & { bundle: string }) => {
        finish(runPolicyScript('check-policy.mjs', ['--src', await prepare(opts.dir), '--out', path.resolve(opts.bundle)]));
      }),
    );
}
