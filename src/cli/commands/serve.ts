import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { HatagoError } from '../../errors/index.js';
import { sanitizerFromConfig } from '../../log/from-config.js';
import { createLogger } from '../../log/logger.js';
import { startHub } from '../../server/start-hub.js';
import { cleartextTokenWarning } from '../../server/tls-warning.js';
import { runCommand } from '../run-command.js';

interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  stdio?: boolean;
  decryptKey?: string;
  configFromEnv?: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `--port must be an integer from 0 to 65535, got "${value}"` });
  }
  return n;
}

export function registerServeCommand(program: Command): Command {
  return program
    .command('serve')
    .description('serve the hub over Streamable HTTP (default) or stdio')
    .option('--config <file>', 'config file (default: ./hatago.config.json, else the embedded default)')
    .option('--port <n>', 'HTTP port (overrides http.port)')
    .option('--host <h>', 'HTTP host (overrides http.host)')
    .option('--stdio', 'serve MCP over stdin/stdout instead of HTTP')
    .option('--decrypt-key <key>', 'key of an encrypted --config (visible in ps: prefer HATAGO_CONFIG_KEY; docs/secrets.md)')
    .option('--config-from-env', 'the config from HATAGO_CONFIG or HATAGO_CONFIG_FILE, plus HATAGO_AUTH_* and HATAGO_RATE_LIMIT_* (docs/secrets.md)')
    .action(
      runCommand(async (opts: ServeOptions) => {
        const { config, source } = await loadConfig({
          ...(opts.config !== undefined && { path: opts.config }),
          ...(opts.decryptKey !== undefined && { decryptKey: opts.decryptKey }),
          ...(opts.configFromEnv === true && { fromEnv: true }),
        });
        if (opts.port !== undefined) config.http.port = parsePort(opts.port);
        if (opts.host !== undefined) config.http.host = opts.host;
        const logger = createLogger({
          // Every line masked (security.logging, plus the config's own secret values).
          sanitizer: sanitizerFromConfig(config),
          ...(config.logging?.level !== undefined && { level: config.logging.level }),
          ...(config.logging?.file !== undefined && { file: config.logging.file === true ? undefined : config.logging.file }),
        });
        logger.info('config loaded', { component: 'config', source });
        const cleartext = opts.stdio === true ? undefined : cleartextTokenWarning(config);
        if (cleartext) logger.warn(cleartext, { component: 'tls' });
        const hub = await startHub({ config, logger, stdio: opts.stdio === true });
        const stop = async (signal: string) => {
          logger.info('stopping', { component: 'hub', signal });
          await hub.close();
          await logger.close?.(); // the log file gets every line before exit
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
        await hub.done;
        await hub.close();
        await logger.close?.();
        process.exit(0);
      }),
    );
}
