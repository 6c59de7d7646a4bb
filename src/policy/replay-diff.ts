// Replaying recorded decision inputs through two policies: what
// `hatago policy diff --replay` reports, and the console's replay diff
// (docs/console.md). Changed means what shadow mode counts: allow, code, visible.
import type { ReplayEntry } from './decision-log/record.js';
import type { PolicyDecision } from './types.js';
import { differingFields, summarize, type DecisionField } from './shadow/compare.js';

export interface DecisionChange {
  decisionId: string;
  line: number;
  request: { method?: unknown; server?: unknown; name?: unknown };
  differs: DecisionField[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export interface ReplayDiff {
  changes: DecisionChange[];
  counts: { allowToDeny: number; denyToAllow: number; other: number };
}

interface Decider {
  decide(input: object): PolicyDecision;
}

function transition(before: PolicyDecision, after: PolicyDecision): keyof ReplayDiff['counts'] {
  if (before.allow && !after.allow) return 'allowToDeny';
  if (!before.allow && after.allow) return 'denyToAllow';
  return 'other';
}

/** Every entry through `active` and `candidate`; the ones whose decisions differ. */
export function replayDiff(entries: readonly ReplayEntry[], active: Decider, candidate: Decider): ReplayDiff {
  const changes: DecisionChange[] = [];
  const counts = { allowToDeny: 0, denyToAllow: 0, other: 0 };
  for (const e of entries) {
    const before = active.decide(e.input);
    const after = candidate.decide(e.input);
    const differs = differingFields(before, after);
    if (differs.length === 0) continue;
    counts[transition(before, after)]++;
    const req = (e.input.request ?? {}) as Record<string, unknown>;
    changes.push({ decisionId: e.decisionId, line: e.line, request: { method: req.method, server: req.server, name: req.name }, differs, before: summarize(before), after: summarize(after) });
  }
  return { changes, counts };
}
