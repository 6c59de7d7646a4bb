// One JSON-RPC request on its way through the MCP stages: what the caller
// sent, what the hub resolved it to (the plan), and what each stage added.

import type { Permit } from '../breaker/index.js';
import type { CallerContext, GuardRequest, GuardResult } from '../hub/types.js';

export type McpResult = Record<string, unknown>;

/** The upstream call a request becomes, under the exposed name's local name. */
export interface UpstreamCall {
  server: string;
  method: string;
  params: McpResult;
}

/**
 * What a request resolves to in the catalog, before anything is decided.
 * The policy is asked `guard`; a routing failure waits until the policy
 * allowed (a denied caller learns nothing of what exists).
 */
export interface McpPlan {
  guard: GuardRequest;
  /** The name resolved to nothing (or the params cannot be routed): answered at the routing stage. */
  failure?: unknown;
  /** tools/call: the arguments checked against the tool's inputSchema. */
  arguments?: { server: string; tool: string; args: Record<string, unknown> | undefined };
  /** The request goes to one upstream. */
  upstream?: UpstreamCall;
  /** The answer: from the upstream's result (when `upstream`), or the hub's own. */
  answer(exchange: McpExchange, upstreamResult?: McpResult): McpResult | Promise<McpResult>;
}

export interface McpExchange {
  readonly caller: CallerContext;
  readonly method: string;
  readonly params: McpResult;
  readonly plan: McpPlan;
  /** The policy's decision (policy stage). */
  decision?: GuardResult;
  /** The breaker's admission of the upstream call (breaker stage). */
  permit?: Permit;
  /** The answer (forward stage). */
  result?: McpResult;
  /** The forward stage's trace context, for the upstream (when traces are on). */
  traceCarrier?: { traceparent: string; tracestate?: string } | undefined;
}
