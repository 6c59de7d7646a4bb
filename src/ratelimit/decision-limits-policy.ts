import { DEFAULT_BUNDLE_PATH } from '../config/default-config.js';
import type { RateLimitConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import { PolicyEngine } from '../policy/index.js';
import type { LimitsPolicy } from './policy.js';
import { readLimits } from './policy.js';
import type { RateLimit } from './types.js';

/**
 * Limits from the hub's own entrypoint (`hatago/decision`): an allowed
 * request-stage decision carries `rate_limits`. Used by a RateLimiter that was
 * given no policy, so the guide's example works on the shipped bundle. Only
 * limits are asked here: authentication and RBAC are off in its data.
 */
export class DecisionLimitsPolicy implements LimitsPolicy {
  private constructor(private readonly engine: PolicyEngine) {}

  static async load(bundle: string = DEFAULT_BUNDLE_PATH): Promise<DecisionLimitsPolicy> {
    return new DecisionLimitsPolicy(await PolicyEngine.load(bundle, { runtimeData: DecisionLimitsPolicy.data({}) }));
  }

  private static data(rateLimit: RateLimitConfig): object {
    return { authentication: { enabled: false }, authorization: { enabled: false }, rateLimit };
  }

  setConfig(rateLimit: RateLimitConfig): void {
    this.engine.setRuntimeData(DecisionLimitsPolicy.data(rateLimit));
  }

  limits(input: object): RateLimit[] {
    const d = this.engine.decide(input);
    if (d.allow !== true) throw new HatagoError('ERR_POLICY_EVALUATION', { detail: `no limits: the decision denied (${d.reasons.map((r) => r.rule).join(',')})` });
    return readLimits((d.raw as { rate_limits?: unknown } | undefined)?.rate_limits ?? []);
  }
}
