import { HatagoError } from '../errors/index.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { HatagoMetrics } from '../metrics/index.js';
import { classifyError } from './classify-error.js';
import { DEFAULT_RULE, DEFAULT_SEVERITY, STATE_GAUGE_VALUE } from './defaults.js';
import {
  systemClock,
  type BreakerRule,
  type BreakerState,
  type BreakerStateChange,
  type BreakerStatus,
  type Clock,
  type ErrorKind,
  type Severity,
  type SeverityTable,
} from './types.js';

export const BREAKER_COMPONENT = 'circuit-breaker';

/** Retry hint when half-open and every trial slot is taken: the trials in flight decide soon. */
export const HALF_OPEN_BUSY_RETRY_MS = 1000;

export interface CircuitBreakerOptions {
  server: string;
  /** Default: the built-in rule (5 failures, 30 s, 3 trial calls). */
  rule?: BreakerRule;
  /** Severity per error kind. Default: the built-in classification. */
  severity?: SeverityTable;
  clock?: Clock;
  /** A `child({component: "circuit-breaker"})` of it writes the state-change lines. */
  logger?: Logger;
  /** Called after every state change (the hub sends it to audit). Must not throw; if it does, the error is logged. */
  onStateChange?: (change: BreakerStateChange) => void;
  /** Sets `hatago_circuit_breaker_state{server}`. */
  metrics?: Pick<HatagoMetrics, 'circuitBreakerState'>;
}

/**
 * Leave to make one upstream call. Settle it exactly once with the outcome;
 * later calls are ignored. An outcome only counts if the breaker is still in
 * the state the permit was given in (a call that started before the breaker
 * opened does not close it, nor open it again).
 */
export interface Permit {
  readonly server: string;
  /** True when the call is one of the half-open trial calls. */
  readonly trial: boolean;
  success(): void;
  failure(severity: Severity, kind?: ErrorKind): void;
  /** The call ended without saying anything about the upstream (e.g. cancelled): frees its trial slot. */
  release(): void;
}

interface PermitRecord {
  epoch: number;
  trial: boolean;
  settled: boolean;
}

/**
 * One upstream server's circuit breaker (docs/circuit-breakers.md).
 *
 * - closed: every call passes. Consecutive counted failures (medium, high:
 *   one each; low: none) reaching `failureThreshold` open it; a critical
 *   failure opens it at once; a success resets the count.
 * - open: every call is refused at once with ERR_CIRCUIT_OPEN. After
 *   `resetTimeoutMs` it becomes half-open, lazily: on the next `acquire()`,
 *   `state`, `status()` or `tick()`.
 * - half-open: at most `halfOpenMaxCalls` trial calls at a time; the others
 *   are refused. A trial success closes it, a counted trial failure opens it
 *   again (for a fresh `resetTimeoutMs`); a low one changes nothing.
 */
export class CircuitBreaker {
  readonly server: string;
  private currentRule: BreakerRule;
  private severityTable: SeverityTable;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly onStateChange: ((change: BreakerStateChange) => void) | undefined;
  private readonly metrics: Pick<HatagoMetrics, 'circuitBreakerState'> | undefined;

  private current: BreakerState = 'closed';
  private failures = 0;
  /** Bumped on every state change; permits from an older epoch do not count. */
  private epoch = 0;
  private sinceMs: number;
  private openedAtMs = 0;
  private trialsInFlight = 0;
  private last: { kind?: ErrorKind; severity: Severity; atMs: number } | undefined;

  constructor(opts: CircuitBreakerOptions) {
    this.server = opts.server;
    this.currentRule = opts.rule ?? DEFAULT_RULE;
    this.severityTable = opts.severity ?? DEFAULT_SEVERITY;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: BREAKER_COMPONENT, server: opts.server });
    this.onStateChange = opts.onStateChange;
    this.metrics = opts.metrics;
    this.sinceMs = this.clock.now();
    this.setGauge();
  }

  get rule(): BreakerRule {
    return this.currentRule;
  }

  /** The state now (applies a due open -> half-open change first). */
  get state(): BreakerState {
    this.tick();
    return this.current;
  }

  severityOf(kind: ErrorKind): Severity {
    return this.severityTable[kind];
  }

  /** Applies time-based changes (open -> half-open once `resetTimeoutMs` has passed). */
  tick(): void {
    if (this.current === 'open' && this.clock.now() >= this.openedAtMs + this.currentRule.resetTimeoutMs) {
      this.transition('half-open', 'resetTimeoutMs elapsed');
    }
  }

  /** A permit for one call, or ERR_CIRCUIT_OPEN when open or when every half-open trial slot is taken. */
  acquire(): Permit {
    this.tick();
    if (this.current === 'open') {
      const retryAtMs = this.openedAtMs + this.currentRule.resetTimeoutMs;
      throw this.refusal(retryAtMs - this.clock.now());
    }
    if (this.current === 'half-open') {
      if (this.trialsInFlight >= this.currentRule.halfOpenMaxCalls) throw this.refusal(HALF_OPEN_BUSY_RETRY_MS);
      this.trialsInFlight += 1;
      return this.permit(true);
    }
    return this.permit(false);
  }

  /**
   * Runs one upstream call under the breaker: refuses it when open, counts a
   * thrown error by its kind (`classify`, default classifyError; `null` means
   * "not the upstream's fault") and rethrows it. A resolved call is a success,
   * whatever it contains (a tool result with isError included).
   */
  async run<T>(fn: () => Promise<T>, classify: (err: unknown) => ErrorKind | null = classifyError): Promise<T> {
    const permit = this.acquire();
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      const kind = classify(err);
      if (kind === null) permit.release();
      else permit.failure(this.severityOf(kind), kind);
      throw err;
    }
    permit.success();
    return result;
  }

  /**
   * New rule and severities (policy reload). The state and the failure count
   * stay; the new threshold applies from the next counted failure, the new
   * `resetTimeoutMs` to the current open period.
   */
  reconfigure(rule: BreakerRule, severity: SeverityTable): void {
    this.currentRule = rule;
    this.severityTable = severity;
  }

  status(): BreakerStatus {
    this.tick();
    const now = this.clock.now();
    const s: BreakerStatus = {
      server: this.server,
      state: this.current,
      rule: this.currentRule.name,
      failureThreshold: this.currentRule.failureThreshold,
      failures: this.failures,
      since: new Date(this.sinceMs).toISOString(),
    };
    if (this.current === 'open') {
      const retryAtMs = this.openedAtMs + this.currentRule.resetTimeoutMs;
      s.retryAt = new Date(retryAtMs).toISOString();
      s.retryAfterMs = Math.max(0, retryAtMs - now);
    }
    if (this.current === 'half-open') s.trialCalls = { inFlight: this.trialsInFlight, max: this.currentRule.halfOpenMaxCalls };
    if (this.last) {
      s.lastFailure = { severity: this.last.severity, at: new Date(this.last.atMs).toISOString() };
      if (this.last.kind !== undefined) s.lastFailure.kind = this.last.kind;
    }
    return s;
  }

  /** Removes this breaker's gauge series (the server left the config). */
  dispose(): void {
    this.metrics?.circuitBreakerState.remove({ server: this.server });
  }

  // --- internals ---

  private permit(trial: boolean): Permit {
    const rec: PermitRecord = { epoch: this.epoch, trial, settled: false };
    return {
      server: this.server,
      trial,
      success: () => this.settle(rec, 'success'),
      failure: (severity: Severity, kind?: ErrorKind) => this.settle(rec, 'failure', severity, kind),
      release: () => this.settle(rec, 'release'),
    };
  }

  private settle(rec: PermitRecord, outcome: 'success' | 'failure' | 'release', severity?: Severity, kind?: ErrorKind): void {
    if (rec.settled) return;
    rec.settled = true;
    if (outcome === 'failure' && severity !== undefined) {
      this.last = { severity, atMs: this.clock.now(), ...(kind !== undefined && { kind }) };
    }
    if (rec.epoch !== this.epoch) return; // the state changed while the call ran
    if (rec.trial) this.trialsInFlight -= 1;
    if (outcome === 'release') return;
    const what = kind === undefined ? `${severity} error` : `${severity} error (${kind})`;

    if (this.current === 'closed') {
      if (outcome === 'success') {
        this.failures = 0;
        return;
      }
      if (severity === 'low') return;
      this.failures += 1;
      if (severity === 'critical') this.transition('open', `critical error${kind === undefined ? '' : ` (${kind})`}`);
      else if (this.failures >= this.currentRule.failureThreshold) {
        this.transition('open', `failureThreshold reached (${this.failures} >= ${this.currentRule.failureThreshold}, last: ${what})`);
      }
      return;
    }
    // half-open: only trial permits share its epoch.
    if (outcome === 'success') {
      this.transition('closed', 'trial call succeeded');
      return;
    }
    if (severity === 'low') return;
    this.failures += 1;
    this.transition('open', `trial call failed: ${what}`);
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.current;
    if (from === to) return;
    const now = this.clock.now();
    this.current = to;
    this.epoch += 1;
    this.trialsInFlight = 0;
    this.sinceMs = now;
    if (to === 'open') this.openedAtMs = now;
    const change: BreakerStateChange = {
      server: this.server,
      from,
      to,
      reason,
      failures: this.failures,
      rule: this.currentRule.name,
      at: new Date(now).toISOString(),
    };
    if (to === 'closed') this.failures = 0;
    this.setGauge();
    // `component` is repeated in the fields: a child logger's meta must not be the only place it is set.
    const fields: Record<string, unknown> = { component: BREAKER_COMPONENT, server: this.server, from, to, reason, failures: change.failures, rule: change.rule };
    if (to === 'open') {
      fields.retryAt = new Date(now + this.currentRule.resetTimeoutMs).toISOString();
      this.log.warn(`circuit breaker for "${this.server}" opened`, fields);
    } else {
      this.log.info(`circuit breaker for "${this.server}" ${to === 'closed' ? 'closed' : 'half-open'}`, fields);
    }
    if (this.onStateChange) {
      try {
        this.onStateChange(change);
      } catch (err) {
        this.log.error('onStateChange listener failed', { component: BREAKER_COMPONENT, server: this.server, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private setGauge(): void {
    this.metrics?.circuitBreakerState.set({ server: this.server }, STATE_GAUGE_VALUE[this.current]);
  }

  private refusal(retryAfterMs: number): HatagoError {
    const after = Math.max(0, Math.ceil(retryAfterMs));
    const retryAt = new Date(this.clock.now() + after).toISOString();
    const seconds = Math.ceil(after / 1000);
    return new HatagoError('ERR_CIRCUIT_OPEN', {
      message: `Upstream server "${this.server}" is unavailable (circuit ${this.current}); retry in ${seconds} s`,
      data: { server: this.server, state: this.current, retryAfterMs: after, retryAt },
      detail: `breaker rule ${this.currentRule.name}, ${this.failures} counted failures`,
    });
  }
}
