#!/usr/bin/env node
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { registerApprovalsCommand } from './commands/approvals.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerConfigCommand } from './commands/config.js';
import { registerPolicyCommand } from './commands/policy.js';
import { registerMetricsCommand } from './commands/metrics.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokenCommand } from './commands/token.js';
import { registerToolsCommand } from './commands/tools.js';
import { registerUserCommand } from './commands/user.js';
import { PACKAGE_INFO } from '../util/package-info.js';

const program = new Command();
program.name('hatago').description('hatago: a security gateway for the Model Context Protocol').version(PACKAGE_INFO.version, '-V, --version', 'print the version').showHelpAfterError();
registerServeCommand(program);
registerMetricsCommand(program);
registerPolicyCommand(program);
registerAuditCommand(program);
registerConfigCommand(program);
registerUserCommand(program);
registerToolsCommand(program);
registerApprovalsCommand(program);
registerTokenCommand(program, { loadConfig: async (path) => (await loadConfig(path !== undefined ? { path } : {})).config });
await program.parseAsync(process.argv);
