// `hatago token`: mint a token with the configured key. stdout carries the
// bare token and nothing else, so `TOKEN=$(hatago token --sub me)` works;
// every failure is one line on stderr and exit code 1, with no stack trace.

import type { Command } from 'commander';
import { AuthenticationManager, type TokenClaims } from '../../auth/index.js';
import type { AuthenticationConfig } from '../../config/types.js';
import { isHatagoError } from '../../errors/index.js';
import { escapeControls, printErr, printOut } from '../terminal.js';

export interface TokenCommandDeps {
  /** Loads the config: `--config F` when given, else the usual search. */
  loadConfig: (path?: string) => Promise<{ security: { authentication?: AuthenticationConfig } }>;
  /** Default: process.stdout.write. */
  stdout?: (text: string) => void;
  /** Default: process.stderr.write. */
  stderr?: (text: string) => void;
  /** Default: sets process.exitCode. */
  setExitCode?: (code: number) => void;
  /** HATAGO_AUTH_* source. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Clock. Default the system clock. */
  now?: () => Date;
}

interface TokenOptions {
  sub: string;
  username?: string;
  roles?: string[];
  permissions?: string[];
  scope?: string;
  sessionId?: string;
  expiresIn?: string;
  config?: string;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function registerTokenCommand(program: Command, deps: TokenCommandDeps): Command {
  const out = deps.stdout ?? printOut;
  const err = deps.stderr ?? printErr;
  const setExitCode = deps.setExitCode ?? ((c: number) => void (process.exitCode = c));

  return program
    .command('token')
    .description('print a signed JWT for the configured authentication key (stdout: the token only)')
    .requiredOption('--sub <id>', 'subject (user or service id)')
    .option('--username <name>', 'username claim')
    .option('--roles <list>', 'comma-separated roles', list)
    .option('--permissions <list>', 'comma-separated permissions', list)
    .option('--scope <scope>', 'space-separated scope')
    .option('--session-id <id>', 'sessionId claim')
    .option('--expires-in <duration>', "lifetime: '1h', '30m', '7d' or seconds (default: config expiresIn)")
    .option('--config <file>', 'config file')
    .action(async (opts: TokenOptions) => {
      try {
        const config = await deps.loadConfig(opts.config);
        const auth = config.security.authentication;
        const manager = await AuthenticationManager.create({
          ...auth,
          ...(deps.env !== undefined && { env: deps.env }),
          ...(deps.now !== undefined && { now: deps.now }),
        });
        const claims: TokenClaims = { sub: opts.sub };
        if (opts.username !== undefined) claims.username = opts.username;
        if (opts.roles !== undefined) claims.roles = opts.roles;
        if (opts.permissions !== undefined) claims.permissions = opts.permissions;
        if (opts.scope !== undefined) claims.scope = opts.scope;
        if (opts.sessionId !== undefined) claims.sessionId = opts.sessionId;
        const token = await manager.generateToken(claims, opts.expiresIn !== undefined ? { expiresIn: opts.expiresIn } : {});
        out(`${token}\n`);
      } catch (e) {
        // The operator sees the detail (it never holds key material); no stack.
        const line = isHatagoError(e)
          ? `${e.message} [${e.code}]${e.detail !== undefined ? `: ${e.detail}` : ''}`
          : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
        err(`hatago token: ${escapeControls(line)}\n`);
        setExitCode(1);
      }
    });
}
