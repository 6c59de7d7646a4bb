// Stage "approval": a decision that asked for approval (contract 2,
// docs/approvals.md) holds the call here, after it is known to be well
// formed and routable and before anything reaches the upstream. Approved,
// the call goes on with the arguments that were approved; else it ends
// with ERR_APPROVAL_DENIED or ERR_APPROVAL_TIMEOUT.

import { HatagoError } from '../../errors/index.js';
import type { Approvals } from '../../approval/approvals.js';
import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const APPROVAL_STAGE: StageSpec = {
  name: 'approval',
  scope: 'mcp',
  does: 'a call the policy holds for approval waits for it: asked of the caller by elicitation, or of an approver out of band (`hatago approvals`); approved, it goes on with the arguments approved',
  fails: ['ERR_APPROVAL_REQUIRED', 'ERR_APPROVAL_DENIED', 'ERR_APPROVAL_TIMEOUT', 'ERR_APPROVAL_LIMIT', 'ERR_AUDIT_UNAVAILABLE'],
};

export function approvalStage(approvals: Approvals | undefined): Stage<McpExchange> {
  return {
    ...APPROVAL_STAGE,
    async run(x) {
      const request = x.decision?.approval;
      if (!request) return;
      const call = x.plan.upstream;
      // Only a call to an upstream can be held; anything else asked for approval stays denied.
      if (!approvals || !call) throw new HatagoError('ERR_APPROVAL_REQUIRED', { data: { decisionId: x.decision!.decisionId } });
      await approvals.obtain(x, call, request, x.decision!);
    },
  };
}
