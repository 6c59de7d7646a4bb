import type { HatagoConfig, LoggingSecurityConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
export type { LoggingSecurityConfig } from '../config/types.js';
import { linearPatternProblem } from './linear-pattern.js';
import { createSanitizer, DEFAULT_MASKED_FIELDS, type Sanitizer, type SanitizerOptions } from './sanitizer.js';

/** The parts of a config that hold literal secrets. */
export type ConfigWithSecrets = Pick<HatagoConfig, 'security' | 'mcpServers'> & { policies?: Pick<HatagoConfig['policies'], 'service' | 'decisionLog'> };

/**
 * The one sanitizer of a hub, from `security.logging`, knowing the literal
 * secrets of the config (upstream env and header values, the JWT secret,
 * the bundle and decision-log services' header values) so
 * they are masked even where no key name or pattern gives them away.
 */
export function sanitizerFromConfig(config: ConfigWithSecrets): Sanitizer {
  const logging = (config.security.logging ?? {}) as LoggingSecurityConfig;
  const problems = sanitizerPatternProblems(config);
  if (problems.length > 0) throw new HatagoError('ERR_CONFIG_INVALID', { message: problems.join('\n') });
  const sanitizer = createSanitizer(sanitizerOptions(logging));
  sanitizer.addSecrets(configSecrets(config));
  return sanitizer;
}

/** createSanitizer's options from `security.logging`; `extraFields` are added to the masked fields. */
export function sanitizerOptions(logging: LoggingSecurityConfig, extraFields: string[] = []): SanitizerOptions {
  return {
    ...(logging.sanitize !== undefined && { sanitize: logging.sanitize }),
    ...((logging.maskedFields !== undefined || extraFields.length > 0) && { maskedFields: [...(logging.maskedFields ?? DEFAULT_MASKED_FIELDS), ...extraFields] }),
    ...(logging.customSanitizer?.patterns !== undefined && { patterns: logging.customSanitizer.patterns }),
    ...(logging.maxStringLength !== undefined && { maxStringLength: logging.maxStringLength }),
  };
}

/**
 * One line per `customSanitizer.patterns` entry the linear-time engine cannot
 * run, naming its key path: config validation refuses the config with them.
 */
export function sanitizerPatternProblems(config: { security?: { logging?: unknown } }): string[] {
  const logging = (config.security?.logging ?? {}) as LoggingSecurityConfig;
  const patterns = logging.customSanitizer?.patterns;
  if (!Array.isArray(patterns)) return [];
  return patterns.flatMap((p, i) => {
    const why = typeof p === 'string' ? linearPatternProblem(p) : undefined;
    return why === undefined ? [] : [`security.logging.customSanitizer.patterns[${i}]: ${JSON.stringify(p)} ${why}`];
  });
}

export function configSecrets(config: ConfigWithSecrets): string[] {
  const out: string[] = [];
  for (const server of Object.values(config.mcpServers ?? {})) {
    out.push(...Object.values(server.env ?? {}), ...Object.values(server.headers ?? {}));
  }
  // Headers sent to the bundle and decision-log services carry their credentials (Authorization, API keys).
  out.push(...Object.values(config.policies?.service?.headers ?? {}), ...Object.values(config.policies?.decisionLog?.service?.headers ?? {}));
  const auth = config.security.authentication;
  if (typeof auth?.secret === 'string') out.push(auth.secret);
  // OAuth 2.0: the client secret used for introspection.
  const clientSecret = (auth?.provider as { clientSecret?: unknown } | undefined)?.clientSecret;
  if (typeof clientSecret === 'string') out.push(clientSecret);
  return out;
}
