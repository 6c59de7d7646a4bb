// Stage "history": an admitted tools/call is added to the caller's flow
// history (docs/flows.md) with the labels its decision named, before it goes
// upstream: a call that then fails still counts as having been attempted.

import type { FlowHistory } from '../../flows/flow-history.js';
import type { McpExchange } from '../mcp-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const HISTORY_STAGE: StageSpec = {
  name: 'history',
  scope: 'mcp',
  does: 'an admitted tools/call is recorded in the session\'s flow history (server, tool, the labels the decision named), which later decisions see as input.session',
  fails: [],
};

export function historyStage(history: FlowHistory | undefined): Stage<McpExchange> {
  return {
    ...HISTORY_STAGE,
    run(x) {
      const call = x.plan.upstream;
      if (!history || !call || x.method !== 'tools/call' || typeof call.params.name !== 'string') return;
      history.record(x.caller, { server: call.server, tool: call.params.name, labels: x.decision?.flowLabels ?? [] });
    },
  };
}
