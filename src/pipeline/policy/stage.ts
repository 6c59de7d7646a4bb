// Stage "policy": the request, resolved to its upstream and local name, is
// decided by the active policy (stage "request" of the policy contract).
// Only a literal allow passes; lists get the names the caller may see.

import type { RequestGuard } from '../../hub/types.js';
import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const POLICY_STAGE: StageSpec = {
  name: 'policy',
  scope: 'mcp',
  does: 'the exposed name is resolved to its upstream and the policy decides the request (stage "request"), validation rules included; lists are filtered; the decision is in the audit trail before anything goes on',
  fails: ['ERR_PERMISSION_DENIED', 'ERR_UNAUTHENTICATED', 'ERR_POLICY_EVALUATION', 'ERR_VALIDATION_FAILED', 'ERR_DEFINITION_NOT_APPROVED', 'ERR_APPROVAL_REQUIRED', 'ERR_AUDIT_UNAVAILABLE'],
};

export function policyStage(guard: RequestGuard, deferDenialReport = false): Stage<McpExchange> {
  return {
    ...POLICY_STAGE,
    async run(x) {
      // This runner has the approval stage: a held call comes back with `approval` instead of a throw.
      const decision = await guard.check(x.caller, x.plan.guard, { deferDenialReport, holdForApproval: true });
      x.decision = decision;
      // The transport reads what the decision says beyond allow (initialize's session_limits).
      x.caller.decision = decision;
    },
  };
}
