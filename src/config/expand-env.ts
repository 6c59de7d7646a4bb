import { HatagoError } from '../errors/index.js';

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string of a parsed config.
 * A variable that is unset (or empty, for the `:-` form) and has no default
 * stops start-up with a message naming it and where it was used.
 */
export function expandEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env, at = ''): T {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new HatagoError('ERR_CONFIG_ENV_MISSING', {
        message: `Config ${at || '/'} references environment variable ${name}, which is not set (use \${${name}:-default} for a default)`,
        data: { variable: name, path: at || '/' },
      });
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${at}/${i}`)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, `${at}/${k}`);
    return out as T;
  }
  return value;
}
