// `hatago config encrypt | decrypt | validate` (docs/secrets.md).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CONFIG_KEY_ENV, decryptConfig, encryptConfig, looksEncrypted, writePrivateFile } from '../../config/encryption/index.js';
import { prepareConfig } from '../../config/prepare-config.js';
import { HatagoError } from '../../errors/index.js';
import { runCommand } from '../run-command.js';
import { printOut } from '../terminal.js';

interface KeyOptions {
  key?: string;
  keyEnv?: string;
}

interface CryptOptions extends KeyOptions {
  input: string;
  output?: string;
  force?: boolean;
}

interface ValidateOptions {
  config?: string;
  configFromEnv?: boolean;
  decryptKey?: string;
  port?: string;
  host?: string;
  stdio?: boolean;
}

/** --key K, else the variable named by --key-env, else HATAGO_CONFIG_KEY. */
function operatorKey(opts: KeyOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.key !== undefined && opts.keyEnv !== undefined) {
    throw new HatagoError('ERR_CONFIG_KEY_INVALID', { message: 'give --key or --key-env, not both' });
  }
  if (opts.key !== undefined) return opts.key;
  const name = opts.keyEnv ?? CONFIG_KEY_ENV;
  const value = env[name];
  if (value === undefined || value === '') {
    throw new HatagoError('ERR_CONFIG_KEY_MISSING', { message: `No key: environment variable ${name} is not set (or pass --key-env NAME, or --key K)` });
  }
  return value;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new HatagoError('ERR_CONFIG_NOT_FOUND', { message: `Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, data: { path: file } });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // No parser detail: it quotes the text, which may be secret.
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `${file} is not valid JSON` });
  }
}

async function encryptAction(opts: CryptOptions): Promise<void> {
  const key = operatorKey(opts);
  const input = path.resolve(opts.input);
  const text = await readInput(input);
  if (looksEncrypted(parseJson(text, input))) throw new HatagoError('ERR_CONFIG_INVALID', { message: `${input} is already encrypted` });
  const envelope = encryptConfig(text, key);
  if (opts.output === undefined) process.stdout.write(envelope);
  else writePrivateFile(path.resolve(opts.output), envelope, { force: opts.force === true });
}

async function decryptAction(opts: CryptOptions): Promise<void> {
  const key = operatorKey(opts);
  const input = path.resolve(opts.input);
  const plain = decryptConfig(parseJson(await readInput(input), input), key, input);
  if (opts.output === undefined) process.stdout.write(plain);
  else writePrivateFile(path.resolve(opts.output), plain, { force: opts.force === true });
}

async function validateAction(opts: ValidateOptions): Promise<void> {
  // The very checks `hatago serve` runs before it starts (src/config/prepare-config.ts).
  const { source, notes } = await prepareConfig({
    ...(opts.config !== undefined && { path: opts.config }),
    ...(opts.configFromEnv === true && { fromEnv: true }),
    ...(opts.decryptKey !== undefined && { decryptKey: opts.decryptKey }),
    ...(opts.port !== undefined && { port: opts.port }),
    ...(opts.host !== undefined && { host: opts.host }),
    stdio: opts.stdio === true,
  });
  for (const note of notes) printOut(`note: ${note}\n`);
  printOut(`ok: ${source}\n`);
}

function keyOptions(cmd: Command): Command {
  return cmd
    .option('--key <key>', `passphrase, or "base64:" + 32 random bytes in base64 (visible in ps; prefer --key-env or ${CONFIG_KEY_ENV})`)
    .option('--key-env <name>', `environment variable holding the key (default ${CONFIG_KEY_ENV})`);
}

export function registerConfigCommand(program: Command): Command {
  const config = program.command('config').description('encrypt, decrypt and validate hatago configs');
  keyOptions(
    config
      .command('encrypt')
      .description('encrypt a config with AES-256-GCM (key from a passphrase via scrypt, or a raw 32-byte key)')
      .requiredOption('--input <file>', 'plain config (JSON)')
      .option('--output <file>', 'encrypted config, written with mode 0600 (default: stdout)')
      .option('--force', 'overwrite --output if it exists'),
  ).action(runCommand(encryptAction));
  keyOptions(
    config
      .command('decrypt')
      .description('decrypt an encrypted config, for operators (the hub itself decrypts in memory)')
      .requiredOption('--input <file>', 'encrypted config')
      .option('--output <file>', 'plain config, written with mode 0600 (default: stdout)')
      .option('--force', 'overwrite --output if it exists'),
  ).action(runCommand(decryptAction));
  config
    .command('validate')
    .description('run the checks `hatago serve` runs before starting (decryption, ${VAR} expansion, schema, keys, TLS files, policy bundle); prints ok or the error')
    .option('--config <file>', 'config file (default: ./hatago.config.json, else the embedded default)')
    .option('--config-from-env', 'the config from HATAGO_CONFIG or HATAGO_CONFIG_FILE (docs/secrets.md)')
    .option('--decrypt-key <key>', `key of an encrypted config (else ${CONFIG_KEY_ENV})`)
    .option('--port <n>', 'as `serve --port`')
    .option('--host <h>', 'as `serve --host`')
    .option('--stdio', 'check for `serve --stdio` (no HTTP binding or TLS checks)')
    .action(runCommand(validateAction));
  return config;
}
