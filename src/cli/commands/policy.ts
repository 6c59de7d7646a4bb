// `hatago policy ...`: the security team's loop (docs/policy-workflow.md):
// test, check, build, eval, explain, diff.
import type { Command } from 'commander';
import { registerDiff } from './policy/diff.js';
import { registerEval } from './policy/eval.js';
import { registerExplain } from './policy/explain.js';
import { registerScriptCommands } from './policy/scripts.js';

export function registerPolicyCommand(program: Command): Command {
  const policy = program.command('policy').description('test, check, build, evaluate, explain and diff Rego policies');
  registerScriptCommands(policy);
  registerEval(policy);
  registerExplain(policy);
  registerDiff(policy);
  return policy;
}
