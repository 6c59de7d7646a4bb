// `hatago policy eval`: one input through a bundle, with the same
// PolicyEngine and data.config the hub uses. Exit 0 allow, 2 deny, 1 error.
import type { Command } from 'commander';
import { PolicyEngine, type PolicyDecision } from '../../../policy/index.js';
import { decisionJson } from '../../../policy/decision-json.js';
import { runCommand } from '../../run-command.js';
import { escapeControls, printOut, terminalJson } from '../../terminal.js';
import { loadRuntimeConfig, parseFormat, readDecisionInput } from './inputs.js';

export const EXIT_DENY = 2;
export { decisionJson };

interface EvalOptions {
  input: string;
  bundle?: string;
  config?: string;
  format?: string;
}

export function decisionText(d: PolicyDecision): string {
  const lines = [d.allow ? 'ALLOW' : `DENY ${escapeControls(String(d.code))}`];
  // Reasons quote what the input held (tool names, URIs): escaped, one line each.
  for (const r of d.reasons) lines.push(`  - ${escapeControls(String(r.rule))}: ${escapeControls(String(r.message))}`);
  if (d.visible !== undefined) lines.push(`  visible: ${d.visible.length === 0 ? '(none)' : d.visible.map((v) => escapeControls(String(v))).join(', ')}`);
  if (d.clientIp !== undefined) lines.push(`  client_ip: ${escapeControls(String(d.clientIp))}`);
  return lines.join('\n');
}

export function registerEval(policy: Command): void {
  policy
    .command('eval')
    .description('evaluate one decision input with a bundle, as the hub would (exit 0 allow, 2 deny, 1 error)')
    .requiredOption('--input <file>', 'policy input (JSON), or one decision-log or audit-log line')
    .option('--bundle <file>', 'policy bundle (default: policies.bundle of the config)')
    .option('--config <file>', 'config file for data.config (default: ./hatago.config.json, else the embedded default)')
    .option('--format <f>', 'json or text', 'json')
    .action(
      runCommand(async (opts: EvalOptions) => {
        const format = parseFormat(opts.format);
        const input = await readDecisionInput(opts.input);
        const rt = await loadRuntimeConfig(opts.config);
        const bundle = opts.bundle ?? rt.config.policies.bundle;
        const engine = await PolicyEngine.load(bundle, { runtimeData: rt.data });
        const d = engine.decide(input);
        if (format === 'json') {
          process.stdout.write(`${terminalJson({ ...decisionJson(d), revision: engine.revision, bundle, config: rt.source }, 2)}\n`);
        } else {
          printOut(`${decisionText(d)}\n  (bundle ${escapeControls(bundle)}, revision ${escapeControls(engine.revision)}, config ${escapeControls(rt.source)})\n`);
        }
        if (!d.allow) process.exitCode = EXIT_DENY;
      }),
    );
}
