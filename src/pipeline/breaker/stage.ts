// Stage "breaker": the upstream's circuit breaker admits the call (closed,
// or a half-open trial) or refuses it without touching the upstream. The
// forward stage settles the permit with the call's outcome.

import type { Permit } from '../../breaker/index.js';
import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

/** The circuit breakers as the request path sees them (src/breaker's BreakerRegistry fits). */
export interface UpstreamCallGate {
  acquire(server: string): Permit;
  settle(permit: Permit, error?: unknown): void;
}

export const BREAKER_STAGE: StageSpec = {
  name: 'breaker',
  scope: 'mcp',
  does: 'the upstream\'s circuit breaker admits the call (closed, or a half-open trial) or refuses it without touching the upstream',
  fails: ['ERR_CIRCUIT_OPEN'],
};

export function breakerStage(gate: UpstreamCallGate | undefined): Stage<McpExchange> {
  return {
    ...BREAKER_STAGE,
    run(x) {
      const up = x.plan.upstream;
      if (up && gate) x.permit = gate.acquire(up.server);
    },
  };
}
