// Security events, as the guide's audit section names them. Stages emit
// them into an injected sink; they never import the audit trail (it is
// handed to them at wiring time, as OPA hands its server a decision logger).

export type SecurityEventName =
  | 'authentication_success'
  | 'authentication_failure'
  | 'logout'
  | 'token_refresh'
  | 'permission_granted'
  | 'permission_denied'
  | 'network_denied'
  | 'rate_limit_exceeded'
  | 'circuit_breaker_state_change'
  | 'configuration_change'
  | 'policy_activated'
  | 'policy_rejected'
  | 'suspicious_activity'
  | 'relay_refused'
  | 'decision_log_dropped'
  | 'session_closed'
  | 'audit_records_dropped'
  | 'definition_changed'
  | 'definition_approved'
  | 'definition_revoked'
  | 'approval_requested'
  | 'approval_granted'
  | 'approval_denied'
  | 'approval_timeout';

export interface SecurityEvent {
  event: SecurityEventName;
  level?: 'info' | 'warn' | 'error';
  user?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Policy decision that produced the event, when one did. */
  decisionId?: string;
  /** Revision of the policy bundle that decided. */
  revision?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Receives every security event. It resolves once the event is durably
 * recorded; a rejection means the request that caused it must fail closed.
 */
export type SecurityEventSink = (event: SecurityEvent) => Promise<void>;

export const discardEvents: SecurityEventSink = async () => undefined;

/** What the runtime remembers of one address for the network stage (`input.recent.addresses`). */
export interface RecentAddress {
  auth_failures: number;
  denials: number;
  /** Wall clock (ns) until which the policy blocked the address; 0 when not blocked. */
  blocked_until_ns: number;
}

/**
 * Recent failures and blocks per address, kept by the suspicious-activity
 * monitor (src/audit) and read by the network stage, which never imports it.
 */
export interface RecentActivity {
  /** Entries only for the given addresses the monitor knows (its store may be shared: Redis). */
  addresses(ips: readonly string[]): Promise<Record<string, RecentAddress>>;
}
