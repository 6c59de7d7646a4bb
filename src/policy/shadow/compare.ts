// What makes two decisions "different" for shadow mode and replay diff:
// the enforced outcome (allow), the answer code when both deny, and the
// visible list of a list method. Reasons alone never count: rewording a
// message must not look like a policy change.

export interface ComparableDecision {
  allow: boolean;
  code?: string;
  visible?: string[];
}

export type DecisionField = 'allow' | 'code' | 'visible';

function sameSet(a: string[] | undefined, b: string[] | undefined): boolean {
  const x = new Set(a ?? []);
  const y = new Set(b ?? []);
  if (x.size !== y.size) return false;
  for (const v of x) if (!y.has(v)) return false;
  return true;
}

/** The fields that differ; empty when the decisions are equivalent. */
export function differingFields(before: ComparableDecision, after: ComparableDecision): DecisionField[] {
  const out: DecisionField[] = [];
  if (before.allow !== after.allow) out.push('allow');
  else if (!before.allow && before.code !== after.code) out.push('code');
  if ((before.visible !== undefined || after.visible !== undefined) && !sameSet(before.visible, after.visible)) out.push('visible');
  return out;
}

/** A decision as shown in mismatch logs and diff reports. */
export function summarize(d: ComparableDecision & { reasons?: { rule: string }[] }): Record<string, unknown> {
  return {
    allow: d.allow,
    ...(!d.allow && { code: d.code, rules: (d.reasons ?? []).map((r) => r.rule) }),
    ...(d.visible !== undefined && { visible: d.visible }),
  };
}
