import { fstatSync } from 'node:fs';
import type { Command } from 'commander';
import { prepareConfig } from '../../config/prepare-config.js';
import { HatagoError } from '../../errors/index.js';
import { sanitizerFromConfig } from '../../log/from-config.js';
import { createLoggerLater, type LoggerLater } from '../../log/logger-later.js';
import type { LoggerOptions } from '../../log/logger.js';
import { startHub } from '../../server/start-hub.js';
import { cleartextTokenWarning } from '../../server/tls-warning.js';
import { runCommand } from '../run-command.js';

interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  stdio?: boolean;
  http?: boolean;
  decryptKey?: string;
  configFromEnv?: boolean;
}

/** stdin is a pipe (or socket pair), not a terminal or /dev/null: an MCP client launched us to talk over stdio. */
export function stdinIsPipe(): boolean {
  if (process.stdin.isTTY === true) return false;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

type Mode = { stdio: boolean; why?: string };

/**
 * --stdio / --http decide; without either, a hub launched by an MCP client
 * over pipes with HATAGO_AUTH_TOKEN set (the guide's client configuration)
 * serves stdio, since an HTTP hub there would leave the client waiting.
 */
function servingMode(opts: ServeOptions, env: NodeJS.ProcessEnv): Mode {
  if (opts.stdio === true && opts.http === true) throw new HatagoError('ERR_CONFIG_INVALID', { message: '--stdio and --http exclude each other' });
  if (opts.stdio === true) return { stdio: true };
  if (opts.http === true) return { stdio: false };
  if (stdinIsPipe() && env.HATAGO_AUTH_TOKEN !== undefined && env.HATAGO_AUTH_TOKEN !== '') {
    return { stdio: true, why: 'hatago: serving MCP over stdio (stdin is a pipe and HATAGO_AUTH_TOKEN is set; pass --http to serve HTTP instead)' };
  }
  return { stdio: false };
}

/** The process that started us, read before start-up so a parent that dies during start-up is noticed too. */
const PARENT_PID = process.ppid;

/** Calls `onExit` once when the process that started us is gone (we were re-parented). */
function watchParent(onExit: () => void): void {
  const parent = PARENT_PID;
  if (process.ppid !== parent) return onExit();
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, 500);
  timer.unref();
}

/** The hub's logger; a log file whose folder cannot be made refuses start-up naming the key. */
function openLogger(opts: LoggerOptions): LoggerLater {
  try {
    return createLoggerLater(opts);
  } catch (err) {
    const where = opts.file === undefined ? 'logs/hatago.log' : String(opts.file);
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `logging.file: cannot create the folder of ${where} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
  }
}

export function registerServeCommand(program: Command): Command {
  return program
    .command('serve')
    .description('serve the hub over Streamable HTTP, or stdio (--stdio, or when an MCP client launches it over pipes with HATAGO_AUTH_TOKEN)')
    .option('--config <file>', 'config file (default: ./hatago.config.json, else the embedded default)')
    .option('--port <n>', 'HTTP port (overrides http.port)')
    .option('--host <h>', 'HTTP host (overrides http.host)')
    .option('--stdio', 'serve MCP over stdin/stdout instead of HTTP')
    .option('--http', 'serve HTTP even when stdin is a pipe and HATAGO_AUTH_TOKEN is set')
    .option('--decrypt-key <key>', 'key of an encrypted --config (visible in ps: prefer HATAGO_CONFIG_KEY; docs/secrets.md)')
    .option('--config-from-env', 'the config from HATAGO_CONFIG or HATAGO_CONFIG_FILE, plus HATAGO_AUTH_* and HATAGO_RATE_LIMIT_* (docs/secrets.md)')
    .action(
      runCommand(async (opts: ServeOptions) => {
        const mode = servingMode(opts, process.env);
        if (mode.why !== undefined) process.stderr.write(`${mode.why}\n`);
        // The same checks `hatago config validate` runs (src/config/prepare-config.ts).
        const { config, source, notes } = await prepareConfig({
          ...(opts.config !== undefined && { path: opts.config }),
          ...(opts.decryptKey !== undefined && { decryptKey: opts.decryptKey }),
          ...(opts.configFromEnv === true && { fromEnv: true }),
          ...(opts.port !== undefined && { port: opts.port }),
          ...(opts.host !== undefined && { host: opts.host }),
          stdio: mode.stdio,
          loadPolicy: false, // startHub loads it (once), with the same checks
        });
        // winston is loaded once the hub is reachable (startHub's `reachable`); lines before that are held.
        const logger = openLogger({
          // Every line masked (security.logging, plus the config's own secret values).
          sanitizer: sanitizerFromConfig(config),
          ...(config.logging?.level !== undefined && { level: config.logging.level }),
          ...(config.logging?.file !== undefined && { file: config.logging.file === true ? undefined : config.logging.file }),
        });
        logger.info('config loaded', { component: 'config', source });
        for (const note of notes) logger.info(note, { component: 'config' });
        const cleartext = mode.stdio ? undefined : cleartextTokenWarning(config);
        if (cleartext) logger.warn(cleartext, { component: 'tls' });
        const hub = await startHub({ config, logger, stdio: mode.stdio, reachable: () => void logger.load().catch(() => undefined) }).catch(async (err: unknown) => {
          await logger.close(); // the lines taken so far are written before the failure is reported
          throw err;
        });
        let stopping = false;
        const stop = async (reason: string) => {
          if (stopping) return;
          stopping = true;
          logger.info('stopping', { component: 'hub', signal: reason });
          // SIGTERM (orchestrators, systemd): drain first (docs/deploy.md); the audit trail is closed last by close().
          if (reason === 'SIGTERM' && hub.drain) await hub.drain();
          await hub.close();
          await logger.close(); // the log file gets every line before exit
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
        // Launched by a client: when that client is gone, so is the hub (no orphan holding the port).
        if (mode.stdio || stdinIsPipe()) watchParent(() => void stop('parent exited'));
        await hub.done;
        await stop(mode.stdio ? 'stdin closed' : 'server closed');
      }),
    );
}
