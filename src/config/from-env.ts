import { HatagoError } from '../errors/index.js';
import { RATE_LIMIT_ENV_VARS } from '../ratelimit/env.js';
import { embeddedDefaultConfig } from './default-config.js';
import type { HatagoConfig } from './types.js';

// `hatago serve --config-from-env`: the whole config from the environment
// (docs/secrets.md). Exactly one of HATAGO_CONFIG (JSON text, plain or an
// encrypted envelope) or HATAGO_CONFIG_FILE (a path, like --config). With
// neither, the embedded default, but only when one of the guide's own
// variables (HATAGO_AUTH_*, HATAGO_RATE_LIMIT_*) says what to change.

export const CONFIG_ENV = 'HATAGO_CONFIG';
export const CONFIG_FILE_ENV = 'HATAGO_CONFIG_FILE';

/** Variables that carry a signing or verification key: any of them turns authentication on. */
export const AUTH_KEY_ENV_VARS = ['HATAGO_AUTH_SECRET', 'HATAGO_AUTH_PRIVATE_KEY_PATH', 'HATAGO_AUTH_PUBLIC_KEY_PATH'] as const;
/** The guide's individual variables (read by authentication and rate limiting in every mode). */
export const GUIDE_ENV_VARS = [...AUTH_KEY_ENV_VARS, 'HATAGO_AUTH_EXPIRES_IN', 'HATAGO_AUTH_ISSUER', ...RATE_LIMIT_ENV_VARS] as const;

export type EnvConfigSource =
  | { kind: 'text'; text: string; source: typeof CONFIG_ENV }
  | { kind: 'file'; path: string; source: typeof CONFIG_FILE_ENV }
  | { kind: 'embedded'; source: 'embedded+env' };

type Env = Record<string, string | undefined>;

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/** Where the config comes from in --config-from-env mode; throws ERR_CONFIG_FROM_ENV when that is nowhere, or ambiguous. */
export function envConfigSource(env: Env): EnvConfigSource {
  const text = env[CONFIG_ENV];
  const file = env[CONFIG_FILE_ENV];
  if (set(text) && set(file)) {
    throw new HatagoError('ERR_CONFIG_FROM_ENV', { message: `--config-from-env: set ${CONFIG_ENV} or ${CONFIG_FILE_ENV}, not both` });
  }
  if (set(text)) return { kind: 'text', text, source: CONFIG_ENV };
  if (set(file)) return { kind: 'file', path: file, source: CONFIG_FILE_ENV };
  if (GUIDE_ENV_VARS.some((v) => set(env[v]))) return { kind: 'embedded', source: 'embedded+env' };
  throw new HatagoError('ERR_CONFIG_FROM_ENV', {
    message: `--config-from-env: nothing is set; set ${CONFIG_ENV} (config JSON) or ${CONFIG_FILE_ENV} (a path), or at least one of ${GUIDE_ENV_VARS.join(', ')}`,
  });
}

/**
 * In --config-from-env mode a key variable (HATAGO_AUTH_SECRET, ..._KEY_PATH)
 * turns authentication on when the config has no `security.authentication`
 * of its own: a deployment that injects a secret means to require tokens,
 * and silently serving without would be the unsafe reading. The values
 * themselves are read where they always are (src/auth/options.ts).
 */
export function withAuthFromEnv<T>(parsed: T, env: Env): T {
  if (!AUTH_KEY_ENV_VARS.some((v) => set(env[v]))) return parsed;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return parsed; // schema validation names the problem
  const c = parsed as { security?: Record<string, unknown> };
  if (c.security !== undefined && (typeof c.security !== 'object' || c.security === null || 'authentication' in c.security)) return parsed;
  return { ...parsed, security: { ...c.security, authentication: { enabled: true, type: 'jwt' } } };
}

/** The embedded default, with authentication on when a key variable is set. */
export function embeddedConfigFromEnv(env: Env): HatagoConfig {
  const c = embeddedDefaultConfig();
  if (AUTH_KEY_ENV_VARS.some((v) => set(env[v]))) c.security.authentication = { enabled: true, type: 'jwt' };
  return c;
}
