#!/usr/bin/env node
import { Command } from 'commander';
import { PACKAGE_INFO } from '../util/package-info.js';

type Register = (program: Command) => Promise<unknown>;

// Each command's module is imported only when that command runs: `hatago serve` does not load the audit,
// policy or tools commands (and what they import) before it can serve. Help and unknown commands load all.
const COMMANDS: [string, Register][] = [
  ['serve', async (p) => (await import('./commands/serve.js')).registerServeCommand(p)],
  ['metrics', async (p) => (await import('./commands/metrics.js')).registerMetricsCommand(p)],
  ['policy', async (p) => (await import('./commands/policy.js')).registerPolicyCommand(p)],
  ['audit', async (p) => (await import('./commands/audit.js')).registerAuditCommand(p)],
  ['config', async (p) => (await import('./commands/config.js')).registerConfigCommand(p)],
  ['user', async (p) => (await import('./commands/user.js')).registerUserCommand(p)],
  ['tools', async (p) => (await import('./commands/tools.js')).registerToolsCommand(p)],
  ['approvals', async (p) => (await import('./commands/approvals.js')).registerApprovalsCommand(p)],
  ['token', async (p) => {
    const [{ registerTokenCommand }, { loadConfig }] = await Promise.all([import('./commands/token.js'), import('../config/index.js')]);
    return registerTokenCommand(p, { loadConfig: async (path) => (await loadConfig(path !== undefined ? { path } : {})).config });
  }],
];

const program = new Command();
program.name('hatago').description('hatago: a security gateway for the Model Context Protocol').version(PACKAGE_INFO.version, '-V, --version', 'print the version').showHelpAfterError();
const named = COMMANDS.find(([name]) => name === process.argv[2]);
for (const [, register] of named ? [named] : COMMANDS) await register(program);
await program.parseAsync(process.argv);
