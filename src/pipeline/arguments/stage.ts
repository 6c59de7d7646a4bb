// Stage "arguments": tools/call arguments against the upstream tool's own
// inputSchema (compiled per listing, src/validation). Invalid ones never
// reach the upstream.

import type { HubValidation } from '../../validation/index.js';
import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const ARGUMENTS_STAGE: StageSpec = {
  name: 'arguments',
  scope: 'mcp',
  does: 'tools/call arguments checked against the upstream tool\'s own inputSchema; invalid ones never reach the upstream',
  fails: ['ERR_INVALID_ARGUMENTS', 'ERR_UPSTREAM_ERROR'],
};

export function argumentsStage(validation: HubValidation | undefined): Stage<McpExchange> {
  return {
    ...ARGUMENTS_STAGE,
    run(x) {
      const a = x.plan.arguments;
      if (a && validation) validation.checkArguments(a.server, a.tool, a.args);
    },
  };
}
