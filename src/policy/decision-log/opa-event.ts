// A request decision as one event of OPA's decision-log API (the array
// element OPA's decision_logs plugin POSTs): snake_case keys, the query path,
// the bundle revision, the masked input and the decision as `result`.
import type { DecisionEvent } from '../../pipeline/policy/policy-guard.js';
import { DECISION_ENTRYPOINT } from '../engine.js';
import { maskDecisionInput, type Sanitizer } from './mask.js';

/** The bundle name under `bundles` (OPA keys revisions by bundle name; the hub runs one). */
export const BUNDLE_NAME = 'hatago';

export interface OpaDecisionEvent {
  labels: Record<string, string>;
  decision_id: string;
  /** The active bundle's revision (OPA's legacy single-bundle field). */
  revision: string;
  /** The same revision, as OPA 0.13+ reports it. */
  bundles: Record<string, { revision: string }>;
  /** The rule queried: the contract's one entrypoint. */
  path: string;
  input: Record<string, unknown>;
  result: DecisionEvent['result'];
  requested_by?: string;
  timestamp: string;
}

/** The event, its input masked as the local decision log masks it. */
export function toOpaEvent(e: DecisionEvent, sanitize: Sanitizer, labels: Record<string, string>): OpaDecisionEvent {
  const client = e.input.client as { ip?: unknown } | undefined;
  return {
    labels,
    decision_id: e.decisionId,
    revision: e.revision,
    bundles: { [BUNDLE_NAME]: { revision: e.revision } },
    path: DECISION_ENTRYPOINT,
    input: maskDecisionInput(e.input, sanitize),
    result: e.result,
    ...(typeof client?.ip === 'string' && { requested_by: client.ip }),
    timestamp: e.timestamp,
  };
}
