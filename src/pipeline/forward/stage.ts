// Stage "forward": the request goes to its upstream (or is answered by the
// hub itself: initialize, lists, ping). The breaker's permit is settled with
// the outcome; a call the client cancelled says nothing about the upstream.

import type { McpExchange, McpResult, UpstreamCall } from '../mcp-exchange.js';
import type { UpstreamCallGate } from '../breaker/stage.js';
import type { Stage, StageSpec } from '../stage.js';

export const FORWARD_STAGE: StageSpec = {
  name: 'forward',
  scope: 'mcp',
  does: 'the request goes to the upstream with progress, cancellation and relays, or the hub answers it from the catalog; an upstream answer is checked against the method\'s result schema',
  fails: ['ERR_UPSTREAM_UNAVAILABLE', 'ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_ERROR'],
};

/** Sends one call to its upstream (the hub's upstream engine). */
export type UpstreamCaller = (x: McpExchange, call: UpstreamCall) => Promise<McpResult>;

/** The cancellation marker the breaker does not count (classifyError: null). */
function cancelled(cause: unknown): Error {
  return Object.assign(new Error('cancelled by the client', { cause }), { name: 'AbortError' });
}

export function forwardStage(callUpstream: UpstreamCaller, gate: UpstreamCallGate | undefined): Stage<McpExchange> {
  return {
    ...FORWARD_STAGE,
    async run(x) {
      const call = x.plan.upstream;
      if (!call || (x.plan.claim && !x.plan.claim())) {
        if (call && x.permit) x.permit.release(); // claimed by another request: nothing goes upstream
        x.result = await x.plan.answer(x);
        return;
      }
      let upstreamResult: McpResult;
      try {
        upstreamResult = await callUpstream(x, call);
      } catch (err) {
        x.plan.unclaim?.();
        const aborted = x.caller.signal?.aborted === true;
        if (x.permit && gate) gate.settle(x.permit, aborted ? cancelled(err) : err);
        throw err;
      }
      if (x.permit && gate) gate.settle(x.permit);
      x.result = await x.plan.answer(x, upstreamResult);
    },
  };
}
