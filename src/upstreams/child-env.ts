import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';

/**
 * The environment of a stdio upstream: the SDK's minimal safe set (PATH,
 * HOME, ...) plus the server's own `env`. Never the hub's whole
 * environment, which holds the hub's secrets (HATAGO_AUTH_SECRET, tokens).
 */
export function childEnv(configEnv: Record<string, string> | undefined): Record<string, string> {
  return { ...getDefaultEnvironment(), ...(configEnv ?? {}) };
}
