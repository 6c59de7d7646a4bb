// The MCP-scope stages in lifecycle order, built once per hub: every
// JSON-RPC request (HTTP session, 2026-07-28 stateless, stdio) runs this list.

import type { RequestGuard } from '../hub/types.js';
import type { LogWriter } from '../log/logger.js';
import type { HubValidation } from '../validation/index.js';
import type { Approvals } from '../approval/approvals.js';
import type { FlowHistory } from '../flows/flow-history.js';
import { approvalStage } from './approval/stage.js';
import { argumentsStage } from './arguments/stage.js';
import { historyStage } from './history/stage.js';
import { breakerStage, type UpstreamCallGate } from './breaker/stage.js';
import { forwardStage, type UpstreamCaller } from './forward/stage.js';
import type { McpExchange } from './mcp-exchange.js';
import { policyStage } from './policy/stage.js';
import { rateLimitStage } from './rate-limit/stage.js';
import type { RateLimiting } from './rate-limit/rate-limiting.js';
import { routingStage } from './routing/stage.js';
import { StageRunner } from './stage.js';

export interface McpStageDeps {
  /** The policy stage (PolicyGuard; tests may pass their own). */
  guard: RequestGuard;
  /** Counts the decision's limits; absent: nothing is counted. */
  rateLimits?: RateLimiting;
  validation?: HubValidation;
  breakers?: UpstreamCallGate;
  callUpstream: UpstreamCaller;
  /** Holds calls the policy asks approval for; absent: such calls are denied (ERR_APPROVAL_REQUIRED). */
  approvals?: Approvals;
  /** Records admitted calls for flow rules (input.session); absent: nothing is recorded. */
  history?: FlowHistory;
  logger?: LogWriter;
}

export function createMcpRunner(deps: McpStageDeps): StageRunner<McpExchange> {
  return new StageRunner<McpExchange>([
    // With rate limits, the rate-limit stage reports each denial after counting it.
    policyStage(deps.guard, deps.rateLimits !== undefined),
    rateLimitStage(deps.rateLimits),
    routingStage(),
    argumentsStage(deps.validation),
    approvalStage(deps.approvals),
    historyStage(deps.history),
    breakerStage(deps.breakers),
    forwardStage(deps.callUpstream, deps.breakers),
  ], deps.logger);
}
