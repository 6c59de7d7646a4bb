import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HatagoError } from '../errors/index.js';
import { DEFAULT_BUNDLE_PATH, embeddedDefaultConfig } from './default-config.js';
import { expandEnv } from './expand-env.js';
import type { AuthenticationConfig, HatagoConfig } from './types.js';
import { validateConfig } from './validate-config.js';

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
}

/**
 * Finds, reads, expands and validates the config: `--config F`, else
 * hatago.config.json in the working folder, else the embedded default.
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = opts.cwd ?? process.cwd();
  let file: string | undefined;
  if (opts.path !== undefined) {
    file = path.resolve(cwd, opts.path);
    if (!existsSync(file)) {
      throw new HatagoError('ERR_CONFIG_NOT_FOUND', { message: `Config file not found: ${file}`, data: { path: file } });
    }
  } else if (existsSync(path.join(cwd, CONFIG_FILE_NAME))) {
    file = path.join(cwd, CONFIG_FILE_NAME);
  }
  if (file === undefined) return { config: embeddedDefaultConfig(), source: 'embedded' };

  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `Invalid config ${file}: not valid JSON (${(err as Error).message})` });
  }
  // Expand first so `${PORT}`-style values are checked as what they become.
  const expanded = expandEnv(parsed as Partial<HatagoConfig>, opts.env ?? process.env);
  validateConfig(expanded, file);
  return { config: withDefaults(expanded, path.dirname(file)), source: file };
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
      host: c.http?.host ?? '127.0.0.1',
      port: c.http?.port ?? 3000,
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
    },
    security: {
      ...security,
      authentication: resolveKeyPaths({ enabled: false, ...security.authentication }, resolve),
      authorization: { enabled: true, ...security.authorization },
      network: { ...security.network },
    },
  };
}
