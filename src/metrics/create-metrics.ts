import { Counter, Gauge, Registry } from 'prom-client';

// One prom-client registry per hub (never the global one, so two hubs in one
// process, or two tests, do not share series). Names follow the security
// guide's alert rules; they are public interface.

export interface HatagoMetrics {
  readonly registry: Registry;
  /** 0 closed, 1 open, 2 half-open; label `server`. The guide alerts on `== 1`. */
  readonly circuitBreakerState: Gauge<'server'>;
  /** Failed authentications; label `code` (e.g. ERR_TOKEN_EXPIRED). */
  readonly authFailures: Counter<'code'>;
  /** Requests refused by a rate limit; label `rule` (the rate-limit rule name). */
  readonly rateLimitExceeded: Counter<'rule'>;
}

export function createMetrics(opts: { registry?: Registry } = {}): HatagoMetrics {
  const registry = opts.registry ?? new Registry();
  const registers = [registry];
  return {
    registry,
    circuitBreakerState: new Gauge({
      name: 'hatago_circuit_breaker_state',
      help: 'Circuit breaker state per upstream server: 0 closed, 1 open, 2 half-open',
      labelNames: ['server'] as const,
      registers,
    }),
    authFailures: new Counter({
      name: 'hatago_auth_failures',
      help: 'Failed authentications, by error code',
      labelNames: ['code'] as const,
      registers,
    }),
    rateLimitExceeded: new Counter({
      name: 'hatago_rate_limit_exceeded',
      help: 'Requests refused by a rate limit, by rule name',
      labelNames: ['rule'] as const,
      registers,
    }),
  };
}
