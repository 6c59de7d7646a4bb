import type { SecurityEvent, SecurityEventSink } from '../pipeline/security-events.js';
import { MAX_RULE_SERIES, type HatagoMetrics } from './create-metrics.js';

/**
 * A sink that counts the security events the guide's alerts watch, then
 * passes each one on. Counting the events (not the code paths that raise
 * them) keeps every source in step: /mcp, /metrics, the token endpoints and
 * any stage added later. The count comes first: a failure happened even when
 * its record cannot be written.
 */
export function countSecurityEvents(metrics: Pick<HatagoMetrics, 'authFailures' | 'rateLimitExceeded'> & Partial<Pick<HatagoMetrics, 'denials'>>, sink: SecurityEventSink): SecurityEventSink {
  const rules = new Set<string>();
  const ruleLabel = (rule: string): string => {
    if (rules.has(rule)) return rule;
    if (rules.size >= MAX_RULE_SERIES) return 'other';
    rules.add(rule);
    return rule;
  };
  return (e: SecurityEvent) => {
    if (e.event === 'authentication_failure') metrics.authFailures.inc({ code: failureCode(e) });
    else if (e.event === 'rate_limit_exceeded') metrics.rateLimitExceeded.inc({ rule: text(e.metadata?.limit) ?? 'unknown' });
    else if ((e.event === 'permission_denied' || e.event === 'network_denied') && metrics.denials) {
      const stage = e.event === 'network_denied' ? 'network' : text(e.metadata?.stage) ?? 'request';
      const code = text(e.metadata?.code) ?? 'unknown';
      const reasons = Array.isArray(e.metadata?.reasons) ? (e.metadata.reasons as { rule?: unknown }[]) : [];
      const named = reasons.map((r) => text(r?.rule)).filter((r): r is string => r !== undefined);
      for (const rule of named.length > 0 ? named.slice(0, 10) : ['unknown']) metrics.denials.inc({ stage, code, rule: ruleLabel(rule) });
    }
    return sink(e);
  };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A token failure carries its code; a failed password login has one answer, ERR_LOGIN_FAILED. */
function failureCode(e: SecurityEvent): string {
  return text(e.metadata?.code) ?? (e.metadata?.method === 'password' ? 'ERR_LOGIN_FAILED' : 'unknown');
}
