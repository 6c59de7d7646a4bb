import type { HatagoConfig, LoggingSecurityConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
export type { LoggingSecurityConfig } from '../config/types.js';
import { createSanitizer, type Sanitizer } from './sanitizer.js';

/**
 * The one sanitizer of a hub, from `security.logging`, knowing the literal
 * secrets of the config (upstream env and header values, the JWT secret) so
 * they are masked even where no key name or pattern gives them away.
 */
export function sanitizerFromConfig(config: Pick<HatagoConfig, 'security' | 'mcpServers'>): Sanitizer {
  const logging = (config.security.logging ?? {}) as LoggingSecurityConfig;
  for (const p of logging.customSanitizer?.patterns ?? []) {
    try {
      new RegExp(p, 'g');
    } catch (err) {
      throw new HatagoError('ERR_CONFIG_INVALID', { message: `security.logging.customSanitizer.patterns: "${p}" is not a valid regex (${(err as Error).message})` });
    }
  }
  const sanitizer = createSanitizer({
    ...(logging.sanitize !== undefined && { sanitize: logging.sanitize }),
    ...(logging.maskedFields !== undefined && { maskedFields: logging.maskedFields }),
    ...(logging.customSanitizer?.patterns !== undefined && { patterns: logging.customSanitizer.patterns }),
  });
  sanitizer.addSecrets(configSecrets(config));
  return sanitizer;
}

export function configSecrets(config: Pick<HatagoConfig, 'security' | 'mcpServers'>): string[] {
  const out: string[] = [];
  for (const server of Object.values(config.mcpServers ?? {})) {
    out.push(...Object.values(server.env ?? {}), ...Object.values(server.headers ?? {}));
  }
  const auth = config.security.authentication;
  if (typeof auth?.secret === 'string') out.push(auth.secret);
  // OAuth 2.0: the client secret used for introspection.
  const clientSecret = (auth?.provider as { clientSecret?: unknown } | undefined)?.clientSecret;
  if (typeof clientSecret === 'string') out.push(clientSecret);
  return out;
}
