// Shapes shared by the breaker runtime. The rule and the severities come from
// the policy (package hatago.breaker, see docs/circuit-breakers.md); the
// runtime only runs the state machines.

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What went wrong with an upstream call, as the runtime sees it. */
export type ErrorKind = 'timeout' | 'connection' | 'auth' | 'validation' | 'upstream_error' | 'protocol' | 'response_too_large';

/**
 * How much an error counts: `low` not at all, `medium` and `high` one
 * failure each, `critical` opens the breaker at once.
 */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export type SeverityTable = Readonly<Record<ErrorKind, Severity>>;

/** A rule after the policy merged it over `default` and the built-in values. */
export interface BreakerRule {
  /** The configured rule it came from (`default` or a tag such as `external-services`). */
  readonly name: string;
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;
  readonly halfOpenMaxCalls: number;
}

export interface BreakerTableEntry {
  readonly rule: BreakerRule;
  readonly severity: SeverityTable;
}

/** What `data.hatago.breaker.table` answers: one entry per server. */
export interface BreakerTable {
  readonly enabled: boolean;
  readonly servers: Readonly<Record<string, BreakerTableEntry>>;
}

/** Milliseconds since the epoch; tests pass their own. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface BreakerStateChange {
  server: string;
  from: BreakerState;
  to: BreakerState;
  /** Why, e.g. `failureThreshold reached`, `critical error (connection)`, `resetTimeoutMs elapsed`, `trial call succeeded`. */
  reason: string;
  /** Counted failures at the moment of the change. */
  failures: number;
  rule: string;
  /** ISO time of the change (from the breaker's clock). */
  at: string;
}

/** What `/health` shows for one breaker. */
export interface BreakerStatus {
  server: string;
  state: BreakerState;
  rule: string;
  failureThreshold: number;
  /** Counted failures since the breaker last closed (or since the last success while closed). */
  failures: number;
  /** ISO time of the last state change. */
  since: string;
  /** Open only: when the next call becomes a trial call. */
  retryAt?: string;
  retryAfterMs?: number;
  /** Half-open only: trial calls in flight and the limit. */
  trialCalls?: { inFlight: number; max: number };
  lastFailure?: { kind?: ErrorKind; severity: Severity; at: string };
}
