import type { HatagoConfig } from '../config/types.js';
import { requiredScopesOf } from '../auth/oauth2/options.js';
import { rateLimitConfigFromEnv } from '../ratelimit/env.js';

/**
 * The operator config the policy reads at `data.config`. Only what rules
 * need: never secrets or key material (decision inputs and data may be
 * logged or replayed).
 */
export function policyData(config: HatagoConfig, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const { authentication, authorization, network, validation, circuitBreaker, rateLimit, suspicious, sessions, pinning, flows, approval } = config.security;
  return {
    authentication: authenticationData(authentication),
    authorization: authorization ?? { enabled: true },
    network: network ?? {},
    circuitBreaker: circuitBreaker ?? {},
    suspicious: withoutStore(suspicious ?? {}),
    // The guide's HATAGO_RATE_LIMIT_* variables fill rules the config leaves out.
    rateLimit: withoutStore(rateLimitConfigFromEnv(rateLimit, env)),
    validation: validation ?? {},
    sessions: sessions ?? {},
    // The store's location is the runtime's business; the policy reads only the mode.
    pinning: pinning?.new !== undefined ? { new: pinning.new } : {},
    // The rules' data (labels, rules, the destructive-tool rule); the runtime's bounds stay out.
    flows: { ...(flows?.labels && { labels: flows.labels }), ...(flows?.rules && { rules: flows.rules }) },
    approval: approval?.destructive !== undefined ? { destructive: approval.destructive } : {},
  };
}

/**
 * What stage "token" reads: the scopes every token must carry (type oauth2,
 * docs/oauth2.md; type jwt requires none). The provider block itself stays
 * out: it holds the client secret.
 */
function authenticationData(a: HatagoConfig['security']['authentication']): Record<string, unknown> {
  const type = a?.type ?? 'jwt';
  return { enabled: a?.enabled === true, type, requiredScopes: type === 'oauth2' ? requiredScopesOf(a?.provider) : [] };
}

/** The Redis URL may carry a password: the policy has no use for it. */
function withoutStore(rl: object): Record<string, unknown> {
  const { store: _store, ...rest } = rl as { store?: unknown };
  return rest;
}
