import type { BreakerRule, ErrorKind, Severity, SeverityTable } from './types.js';

// The built-in values the policy falls back to. policies/rego/hatago/breaker/breaker.rego
// holds the same numbers; docs/circuit-breakers.md documents them.

export const ERROR_KINDS: readonly ErrorKind[] = ['timeout', 'connection', 'auth', 'validation', 'upstream_error', 'protocol', 'response_too_large'];

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export const DEFAULT_RULE: BreakerRule = { name: 'default', failureThreshold: 5, resetTimeoutMs: 30_000, halfOpenMaxCalls: 3 };

export const DEFAULT_SEVERITY: SeverityTable = {
  auth: 'low',
  validation: 'low',
  upstream_error: 'medium',
  timeout: 'high',
  protocol: 'high',
  connection: 'critical',
  response_too_large: 'low',
};

/** Numeric value of `hatago_circuit_breaker_state`: 0 closed, 1 open, 2 half-open. */
export const STATE_GAUGE_VALUE = { closed: 0, open: 1, 'half-open': 2 } as const;
