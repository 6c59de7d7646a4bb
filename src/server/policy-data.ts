import type { HatagoConfig } from '../config/types.js';

/**
 * The operator config the policy reads at `data.config`. Only what rules
 * need: never secrets or key material (decision inputs and data may be
 * logged or replayed).
 */
export function policyData(config: HatagoConfig): Record<string, unknown> {
  const { authentication, authorization, network, validation } = config.security;
  return {
    authentication: { enabled: authentication?.enabled === true, type: authentication?.type ?? 'jwt' },
    authorization: authorization ?? { enabled: true },
    network: network ?? {},
    validation: validation ?? {},
  };
}
