// `hatago policy explain`: evaluates the Rego sources (not the bundle) with
// the OPA CLI's tracer, and shows which deny rules fired, where, and with
// what reason. `--trace` adds OPA's own trace (`opa eval --explain=<mode>`).
// Exit codes as `eval`: 0 allow, 2 deny, 1 error.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { HatagoError } from '../../../errors/index.js';
import { firedRules, type FiredRule } from '../../../policy/explain/index.js';
import { readDecision } from '../../../policy/index.js';
import { runCommand } from '../../run-command.js';
import { escapeControls, printOut, terminalJson } from '../../terminal.js';
import { decisionJson, decisionText, EXIT_DENY } from './eval.js';
import { inputError, loadRuntimeConfig, parseFormat, readDecisionInput } from './inputs.js';
import { requireOpa, type Opa } from './opa-tools.js';
import { DEFAULT_DIR } from './scripts.js';

const TRACE_MODES = ['fails', 'full', 'notes', 'debug'];

interface ExplainOptions {
  input: string;
  dir: string;
  config?: string;
  format?: string;
  trace?: string;
}

function opaEval(opa: Opa, dir: string, files: { input: string; data: string; capabilities: string }, explain: string, format: string) {
  // The build's capabilities: a built-in the hub's wasm runtime lacks fails here too, with the hint.
  const r = opa.run([
    'eval', `--format=${format}`, `--explain=${explain}`, '--capabilities', files.capabilities,
    '-d', dir, '--ignore', '*_test.rego', '-d', files.data, '-i', files.input,
    'data.hatago.decision',
  ]);
  if (r.status !== 0) {
    // `file:line: message` for each error (a syntax error in the sources), else OPA's first line.
    const errors = opa.errorLines(r.stdout) ?? opa.errorLines(r.stderr);
    const why = errors ? errors.join('; ') : (r.stderr || r.stdout).trim().split('\n')[0];
    throw new HatagoError('ERR_POLICY_TOOL_FAILED', { message: `opa eval failed: ${why}` });
  }
  return r.stdout;
}

function firedText(reasons: { rule: string }[], fired: FiredRule[]): string[] {
  const lines: string[] = [];
  for (const r of reasons) {
    const where = fired.filter((f) => f.rule === r.rule);
    lines.push(`  ${escapeControls(String(r.rule))}: ${where.length === 0 ? 'not a `contains` rule (a default or computed reason)' : ''}`);
    for (const f of where) lines.push(`    ${escapeControls(f.file)}:${f.row}  ${escapeControls(f.source ?? '')}`);
  }
  const others = fired.filter((f) => !reasons.some((r) => r.rule === f.rule));
  if (others.length > 0) {
    lines.push('fired but not in the decision:');
    for (const f of others) lines.push(`  ${escapeControls(f.rule ?? '?')}  ${escapeControls(f.file)}:${f.row}  ${escapeControls(f.source ?? '')}`);
  }
  return lines;
}

export function registerExplain(policy: Command): void {
  policy
    .command('explain')
    .description('show the Rego rules that produced a deny, from the sources (exit 0 allow, 2 deny, 1 error)')
    .requiredOption('--input <file>', 'policy input (JSON), or one decision-log or audit-log line')
    .option('--dir <dir>', 'Rego sources and data.json', DEFAULT_DIR)
    .option('--config <file>', 'config file for data.config (default: ./hatago.config.json, else the embedded default)')
    .option('--format <f>', 'text or json', 'text')
    .option('--trace <mode>', `also print OPA's trace: ${TRACE_MODES.join(', ')}`)
    .action(
      runCommand(async (opts: ExplainOptions) => {
        const format = parseFormat(opts.format);
        if (opts.trace !== undefined && !TRACE_MODES.includes(opts.trace)) throw inputError(`--trace must be one of ${TRACE_MODES.join(', ')}`);
        if (!existsSync(opts.dir)) throw inputError(`no policy sources at ${opts.dir} (use --dir)`);
        const input = await readDecisionInput(opts.input);
        const rt = await loadRuntimeConfig(opts.config);
        const opa = await requireOpa();
        const tmp = mkdtempSync(path.join(tmpdir(), 'hatago-explain-'));
        let allow = false;
        try {
          const files = { input: path.join(tmp, 'input.json'), data: path.join(tmp, 'config.json'), capabilities: opa.capabilities() };
          writeFileSync(files.input, JSON.stringify(input));
          writeFileSync(files.data, JSON.stringify({ config: rt.data }));
          const out = JSON.parse(opaEval(opa, opts.dir, files, 'full', 'json')) as { result?: { expressions?: { value: unknown }[] }[]; explanation?: unknown };
          // The same normalisation as the engine: an undefined or malformed decision is a fail-closed deny.
          const value = out.result?.[0]?.expressions?.[0]?.value;
          const { decision } = readDecision(value === undefined ? [] : [{ result: value }]);
          allow = decision.allow;
          const fired = decision.allow ? [] : firedRules(out.explanation, { cwd: process.cwd() });
          if (format === 'json') {
            process.stdout.write(`${terminalJson({ ...decisionJson(decision), fired, dir: opts.dir, config: rt.source }, 2)}\n`);
          } else {
            const lines = [decisionText(decision)];
            if (!decision.allow) lines.push('rules:', ...firedText(decision.reasons, fired));
            printOut(`${lines.join('\n')}\n`);
          }
          if (opts.trace !== undefined) printOut(`\nopa eval --explain=${opts.trace}:\n${opaEval(opa, opts.dir, files, opts.trace, 'pretty')}`);
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
        if (!allow) process.exitCode = EXIT_DENY;
      }),
    );
}
