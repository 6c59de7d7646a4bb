// Stage "rate-limit": the limits the policy's decision names are counted.
// A denial is counted too, against its denial budgets (afterFailure): within
// budget it is answered as the policy said, past it with 429.

import { PolicyDenial } from '../policy/policy-guard.js';
import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';
import type { RateLimiting } from './rate-limiting.js';

export const RATE_LIMIT_STAGE: StageSpec = {
  name: 'rate-limit',
  scope: 'mcp',
  does: 'the limits the policy decision names are counted (sliding windows, in memory or Redis); all must have budget left; a denial counts against its denial budgets',
  fails: ['ERR_RATE_LIMITED', 'ERR_RATE_LIMIT_UNAVAILABLE', 'ERR_POLICY_EVALUATION', 'ERR_AUDIT_UNAVAILABLE'],
};

export function rateLimitStage(limits: RateLimiting | undefined): Stage<McpExchange> {
  return {
    ...RATE_LIMIT_STAGE,
    async run(x) {
      if (limits && x.decision) await limits.count(x.caller, x.plan.guard, x.decision);
    },
    async afterFailure(x, error) {
      if (limits && error instanceof PolicyDenial) await limits.denied(x.caller, x.plan.guard, error);
    },
  };
}
