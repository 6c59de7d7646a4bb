import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HatagoError } from '../errors/index.js';
import { DEFAULT_BUNDLE_PATH, embeddedDefaultConfig } from './default-config.js';
import { CONFIG_KEY_ENV, openConfigText, type OpenConfigKey } from './encryption/index.js';
import { expandEnv } from './expand-env.js';
import { CONFIG_FILE_ENV, embeddedConfigFromEnv, envConfigSource, withAuthFromEnv } from './from-env.js';
import type { AuthenticationConfig, HatagoConfig } from './types.js';

export const CONFIG_FILE_NAME = 'hatago.config.json';

export interface LoadedConfig {
  config: HatagoConfig;
  /** File the config came from, or `embedded` for the built-in default. */
  source: string;
}

export interface LoadConfigOptions {
  /** `--config F`; must exist when given. */
  path?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `--decrypt-key`: key of an encrypted config; else HATAGO_CONFIG_KEY (docs/secrets.md). */
  decryptKey?: string;
  /** `--config-from-env`: HATAGO_CONFIG or HATAGO_CONFIG_FILE, plus the guide's variables (docs/secrets.md). */
  fromEnv?: boolean;
}

/**
 * Finds, reads, expands and validates the config: `--config F`, else
 * hatago.config.json in the working folder, else the embedded default; or,
 * with `fromEnv`, the environment (docs/secrets.md). An encrypted file is
 * decrypted in memory first.
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const key: OpenConfigKey = { ...(opts.decryptKey !== undefined && { explicit: opts.decryptKey }), ...(env[CONFIG_KEY_ENV] !== undefined && { fromEnv: env[CONFIG_KEY_ENV] }) };
  if (opts.fromEnv) return loadFromEnv(opts, cwd, env, key);
  let file: string | undefined;
  if (opts.path !== undefined) {
    file = path.resolve(cwd, opts.path);
    if (!existsSync(file)) {
      throw new HatagoError('ERR_CONFIG_NOT_FOUND', { message: `Config file not found: ${file}`, data: { path: file } });
    }
  } else if (existsSync(path.join(cwd, CONFIG_FILE_NAME))) {
    file = path.join(cwd, CONFIG_FILE_NAME);
  }
  if (file === undefined) {
    if (key.explicit !== undefined) throw new HatagoError('ERR_CONFIG_DECRYPT', { message: '--decrypt-key was given, but no config file (--config or ./hatago.config.json)' });
    return { config: embeddedDefaultConfig(), source: 'embedded' };
  }
  // An encrypted file is decrypted in memory here; its plaintext is never written.
  const parsed = openConfigText(await readFile(file, 'utf8'), file, key);
  return await finish(parsed, file, path.dirname(file), env);
}

/** `--config-from-env`: HATAGO_CONFIG text, HATAGO_CONFIG_FILE, or the embedded default (src/config/from-env.ts). */
async function loadFromEnv(opts: LoadConfigOptions, cwd: string, env: NodeJS.ProcessEnv, key: OpenConfigKey): Promise<LoadedConfig> {
  if (opts.path !== undefined) throw new HatagoError('ERR_CONFIG_FROM_ENV', { message: '--config and --config-from-env exclude each other' });
  const src = envConfigSource(env);
  if (src.kind === 'embedded') {
    if (key.explicit !== undefined) throw new HatagoError('ERR_CONFIG_DECRYPT', { message: '--decrypt-key was given, but the environment holds no config to decrypt' });
    return { config: embeddedConfigFromEnv(env), source: src.source };
  }
  if (src.kind === 'text') return await finish(withAuthFromEnv(openConfigText(src.text, src.source, key, { sensitive: true }), env), src.source, cwd, env);
  const file = path.resolve(cwd, src.path);
  if (!existsSync(file)) {
    throw new HatagoError('ERR_CONFIG_NOT_FOUND', { message: `Config file not found: ${file} (from ${CONFIG_FILE_ENV})`, data: { path: file } });
  }
  return await finish(withAuthFromEnv(openConfigText(await readFile(file, 'utf8'), file, key), env), file, path.dirname(file), env);
}

async function finish(parsed: unknown, source: string, baseDir: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  // Expand first so `${PORT}`-style values are checked as what they become.
  const expanded = expandEnv(parsed as Partial<HatagoConfig>, env);
  // The schema validator (ajv) is loaded only for a config that was read: the embedded default does not need it.
  (await import('./validate-config.js')).validateConfig(expanded, source);
  return { config: withDefaults(expanded, baseDir), source };
}

function resolveKeyPaths(a: AuthenticationConfig, resolve: (p: string) => string): AuthenticationConfig {
  return {
    ...a,
    ...(a.privateKeyPath !== undefined && a.privateKeyPath !== '' && { privateKeyPath: resolve(a.privateKeyPath) }),
    ...(a.publicKeyPath !== undefined && a.publicKeyPath !== '' && { publicKeyPath: resolve(a.publicKeyPath) }),
  };
}

/** Fills defaults and resolves relative paths against the config file's folder. */
function withDefaults(c: Partial<HatagoConfig>, baseDir: string): HatagoConfig {
  const resolve = (p: string) => path.resolve(baseDir, p);
  const servers = Object.fromEntries(
    Object.entries(c.mcpServers ?? {}).map(([id, s]) => [id, s.cwd === undefined ? s : { ...s, cwd: resolve(s.cwd) }]),
  );
  const security = c.security ?? {};
  const ssl = c.http?.ssl;
  return {
    ...c,
    mcpServers: servers,
    http: {
      ...c.http,
      host: c.http?.host ?? '127.0.0.1',
      port: c.http?.port ?? 3000,
      ...(c.http?.publicUrl !== undefined && { publicUrl: c.http.publicUrl }),
      ...(ssl && {
        ssl: {
          ...ssl,
          ...(ssl.cert !== undefined && { cert: resolve(ssl.cert) }),
          ...(ssl.key !== undefined && { key: resolve(ssl.key) }),
          ...(ssl.ca !== undefined && { ca: resolve(ssl.ca) }),
        },
      }),
    },
    policies: {
      ...c.policies,
      bundle: c.policies?.bundle !== undefined ? resolve(c.policies.bundle) : DEFAULT_BUNDLE_PATH,
      ...(c.policies?.shadow !== undefined && { shadow: resolve(c.policies.shadow) }),
      ...(c.policies?.decisionLog?.service?.caFile !== undefined && {
        decisionLog: { ...c.policies.decisionLog, service: { ...c.policies.decisionLog.service, caFile: resolve(c.policies.decisionLog.service.caFile) } },
      }),
    },
    security: {
      ...security,
      // Fail closed: a present section means on unless it says `"enabled": false` (the guide's OAuth2 block has no `enabled`).
      authentication: resolveKeyPaths({ enabled: security.authentication !== undefined, ...security.authentication }, resolve),
      authorization: { enabled: true, ...security.authorization },
      network: { ...security.network },
    },
  };
}
