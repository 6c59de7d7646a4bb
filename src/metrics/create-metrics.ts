import { Counter, Gauge, Registry } from 'prom-client';

// One prom-client registry per hub (never the global one, so two hubs in one
// process, or two tests, do not share series). Names are public interface
// (docs/metrics.md). Counters end in `_total` as Prometheus requires
// (`promtool check metrics`); prom-client 15 writes names as given in the
// text format, so the suffix is part of the name here. The guide's names
// without `_total` are recording rules in deploy/prometheus/hatago-rules.yml.

export interface HatagoMetrics {
  readonly registry: Registry;
  /** 0 closed, 1 open, 2 half-open; label `server`. The guide alerts on `== 1`. */
  readonly circuitBreakerState: Gauge<'server'>;
  /** `hatago_auth_failures_total`: authentication_failure events; label `code` (e.g. ERR_TOKEN_EXPIRED). */
  readonly authFailures: Counter<'code'>;
  /** `hatago_rate_limit_exceeded_total`: rate_limit_exceeded events; label `rule` (the rate-limit rule name). */
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
      name: 'hatago_auth_failures_total',
      help: 'Failed authentications (bad, expired or missing tokens, failed logins), by error code',
      labelNames: ['code'] as const,
      registers,
    }),
    rateLimitExceeded: new Counter({
      name: 'hatago_rate_limit_exceeded_total',
      help: 'Requests refused by a rate limit, by rule name',
      labelNames: ['rule'] as const,
      registers,
    }),
  };
}
