// Stage "routing": a name that resolved to no upstream is refused only now,
// after the policy allowed, so a denied caller learns nothing of what exists.

import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const ROUTING_STAGE: StageSpec = {
  name: 'routing',
  scope: 'mcp',
  does: 'a name that resolves to no upstream is refused only now, so a denied caller learns nothing of what exists',
  fails: ['ERR_METHOD_NOT_FOUND', 'ERR_UNKNOWN_TOOL', 'ERR_UNKNOWN_PROMPT', 'ERR_UNKNOWN_RESOURCE', 'ERR_INVALID_PARAMS', 'ERR_INVALID_REQUEST'],
};

export function routingStage(): Stage<McpExchange> {
  return {
    ...ROUTING_STAGE,
    run(x) {
      if (x.plan.failure !== undefined) throw x.plan.failure;
    },
  };
}
