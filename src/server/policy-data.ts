import type { HatagoConfig, RateLimitConfig } from '../config/types.js';
import { rateLimitConfigFromEnv } from '../ratelimit/index.js';

/**
 * The operator config the policy reads at `data.config`. Only what rules
 * need: never secrets or key material (decision inputs and data may be
 * logged or replayed).
 */
export function policyData(config: HatagoConfig, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const { authentication, authorization, network, validation, circuitBreaker, rateLimit, suspicious, sessions, pinning } = config.security;
  return {
    authentication: { enabled: authentication?.enabled === true, type: authentication?.type ?? 'jwt' },
    authorization: authorization ?? { enabled: true },
    network: network ?? {},
    circuitBreaker: circuitBreaker ?? {},
    suspicious: suspicious ?? {},
    // The guide's HATAGO_RATE_LIMIT_* variables fill rules the config leaves out.
    rateLimit: withoutStore(rateLimitConfigFromEnv(rateLimit, env)),
    validation: validation ?? {},
    sessions: sessions ?? {},
    // The store's location is the runtime's business; the policy reads only the mode.
    pinning: pinning?.new !== undefined ? { new: pinning.new } : {},
  };
}

/** The Redis URL may carry a password: the policy has no use for it. */
function withoutStore(rl: RateLimitConfig): Record<string, unknown> {
  const { store: _store, ...rest } = rl as RateLimitConfig & { store?: unknown };
  return rest;
}
