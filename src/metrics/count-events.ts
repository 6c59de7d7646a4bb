import type { SecurityEvent, SecurityEventSink } from '../pipeline/security-events.js';
import type { HatagoMetrics } from './create-metrics.js';

/**
 * A sink that counts the security events the guide's alerts watch, then
 * passes each one on. Counting the events (not the code paths that raise
 * them) keeps every source in step: /mcp, /metrics, the token endpoints and
 * any stage added later. The count comes first: a failure happened even when
 * its record cannot be written.
 */
export function countSecurityEvents(metrics: Pick<HatagoMetrics, 'authFailures' | 'rateLimitExceeded'>, sink: SecurityEventSink): SecurityEventSink {
  return (e: SecurityEvent) => {
    if (e.event === 'authentication_failure') metrics.authFailures.inc({ code: failureCode(e) });
    else if (e.event === 'rate_limit_exceeded') metrics.rateLimitExceeded.inc({ rule: text(e.metadata?.limit) ?? 'unknown' });
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
