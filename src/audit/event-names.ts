import type { SecurityEventName } from '../pipeline/security-events.js';

// The event names as values, for `hatago audit --event`. Keyed by the
// pipeline's SecurityEventName type, so the compiler rejects this table
// when a name is added there and missing here, or listed here and gone there.
const NAMES: Record<SecurityEventName, true> = {
  authentication_success: true,
  authentication_failure: true,
  logout: true,
  token_refresh: true,
  permission_granted: true,
  permission_denied: true,
  network_denied: true,
  rate_limit_exceeded: true,
  circuit_breaker_state_change: true,
  configuration_change: true,
  policy_activated: true,
  policy_rejected: true,
  suspicious_activity: true,
  relay_refused: true,
  decision_log_dropped: true,
  session_closed: true,
  audit_records_dropped: true,
  definition_changed: true,
  definition_approved: true,
  definition_revoked: true,
  approval_requested: true,
  approval_granted: true,
  approval_denied: true,
  approval_timeout: true,
};

export const SECURITY_EVENT_NAMES: readonly SecurityEventName[] = Object.keys(NAMES) as SecurityEventName[];

export const isSecurityEventName = (name: string): name is SecurityEventName => Object.hasOwn(NAMES, name);
