// `hatago policy diff`: replays recorded decision inputs (decision log, or
// audit records with metadata.input) through the active and the candidate
// bundle and reports every changed decision. Exit 0 no change, 2 changes,
// 1 error. Changed means what shadow mode counts: allow, code, visible.
import type { Command } from 'commander';
import { INPUT_FORMATS, readReplayLine, type ReplayEntry } from '../../../policy/decision-log/index.js';
import { PolicyEngine } from '../../../policy/index.js';
import { replayDiff } from '../../../policy/replay-diff.js';
export type { DecisionChange } from '../../../policy/replay-diff.js';
import { runCommand } from '../../run-command.js';
import { escapeControls, printOut, terminalJson } from '../../terminal.js';
import { inputError, loadRuntimeConfig, parseFormat, readText } from './inputs.js';

export const EXIT_CHANGED = 2;

interface DiffOptions {
  candidate: string;
  bundle?: string;
  replay: string;
  config?: string;
  format?: string;
}

export async function readReplay(file: string): Promise<{ entries: ReplayEntry[]; skipped: number }> {
  const lines = (await readText(file, 'replay file')).split('\n');
  const entries: ReplayEntry[] = [];
  let skipped = 0;
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let e: ReplayEntry | null;
    try {
      e = readReplayLine(text, i + 1);
    } catch (err) {
      throw inputError(`replay file ${file}: ${(err as Error).message}`);
    }
    if (e) entries.push(e);
    else skipped++;
  });
  if (entries.length === 0) throw inputError(`replay file ${file} holds no decision inputs: each line must be ${INPUT_FORMATS}`);
  return { entries, skipped };
}

export function registerDiff(policy: Command): void {
  policy
    .command('diff')
    .description('replay recorded decision inputs through the active and a candidate bundle (exit 0 no change, 2 changes, 1 error)')
    .requiredOption('--candidate <file>', 'candidate bundle')
    .requiredOption('--replay <file>', 'audit log, decision log or policy inputs, one JSON record a line')
    .option('--bundle <file>', 'active bundle (default: policies.bundle of the config)')
    .option('--config <file>', 'config file for data.config (default: ./hatago.config.json, else the embedded default)')
    .option('--format <f>', 'text or json', 'text')
    .action(
      runCommand(async (opts: DiffOptions) => {
        const format = parseFormat(opts.format);
        const { entries, skipped } = await readReplay(opts.replay);
        const rt = await loadRuntimeConfig(opts.config);
        const activePath = opts.bundle ?? rt.config.policies.bundle;
        const active = await PolicyEngine.load(activePath, { runtimeData: rt.data });
        const candidate = await PolicyEngine.load(opts.candidate, { runtimeData: rt.data });
        const { changes, counts } = replayDiff(entries, active, candidate);
        const summary = {
          replayed: entries.length,
          changed: changes.length,
          unchanged: entries.length - changes.length,
          skippedLines: skipped,
          ...counts,
          active: { bundle: activePath, revision: active.revision },
          candidate: { bundle: opts.candidate, revision: candidate.revision },
        };
        if (format === 'json') {
          process.stdout.write(`${terminalJson({ summary, changes }, 2)}\n`);
        } else {
          // Replayed inputs are client data (tool names, URIs, ids): every value escaped.
          const v = (x: unknown) => escapeControls(typeof x === 'string' ? x : String(x ?? ''));
          const show = (d: Record<string, unknown>) => (d.allow ? 'ALLOW' : `DENY ${v(d.code)} [${(d.rules as string[]).map(v).join(', ')}]`) + (d.visible ? ` visible=${terminalJson(d.visible)}` : '');
          const lines = changes.map((c) => `${v(c.decisionId)}  ${v(c.request.method)} ${v(c.request.server)} ${v(c.request.name)}\n    before: ${show(c.before)}\n    after:  ${show(c.after)}`);
          lines.push(
            `${summary.replayed} decisions replayed, ${summary.changed} changed (${counts.allowToDeny} allow->deny, ${counts.denyToAllow} deny->allow, ${counts.other} other), ${skipped} lines without an input skipped`,
            `active ${v(active.revision)} (${v(activePath)}) vs candidate ${v(candidate.revision)} (${v(opts.candidate)})`,
          );
          printOut(`${lines.join('\n')}\n`);
        }
        if (changes.length > 0) process.exitCode = EXIT_CHANGED;
      }),
    );
}
