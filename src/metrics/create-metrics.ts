import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram.js';

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
  /** Denials recorded in the audit trail, by stage, code and the policy rule that denied (capped). */
  readonly denials: Counter<'stage' | 'code' | 'rule'>;
  /** One JSON-RPC request, end to end in the hub: transport, method (known methods only), outcome code. */
  readonly requestDuration: SeriesHistogram<'transport' | 'method' | 'code'>;
  /** One stage of the lifecycle (src/pipeline), by stage and outcome (`ok` or its code). */
  readonly stageDuration: SeriesHistogram<'stage' | 'outcome'>;
  /** One policy evaluation (opa-wasm), by the contract's stage (network, request, auth, ...). */
  readonly policyEvaluation: SeriesHistogram<'stage'>;
  /** One upstream call, by server, method and outcome (`ok` or the breaker's error kind). */
  readonly upstreamDuration: SeriesHistogram<'server' | 'method' | 'outcome'>;
  /** Failed upstream calls by server and error kind (timeout, connection, protocol, ...). */
  readonly upstreamErrors: Counter<'server' | 'kind'>;
  /** tools/call per exposed tool (names from the catalog only, at most MAX_TOOL_SERIES; others `other`). */
  readonly toolCalls: Counter<'server' | 'tool' | 'outcome'>;
  /** Breaker state changes. */
  readonly breakerTransitions: Counter<'server' | 'from' | 'to'>;
  /** Rate-limit stage outcomes: allowed, limited, unavailable. */
  readonly rateLimitDecisions: Counter<'result'>;
  /** One round trip to the rate-limit store (memory or redis). */
  readonly rateLimitStoreDuration: SeriesHistogram<'store'>;
  /** From an audit record handed to the trail to its being durable. */
  readonly auditWriteDuration: SeriesHistogram;
  /** Audit records handed to the trail and not yet durable. */
  readonly auditQueueDepth: Gauge;
  /** Open downstream sessions (2025-11-25 HTTP) and stdio connections. */
  readonly sessionsOpen: Gauge<'transport'>;
  /** 1 for the active bundle's revision (one series). */
  readonly policyRevision: Gauge<'revision'>;
  /** When the active bundle was activated (Unix seconds): age = time() - this. */
  readonly policyActivated: Gauge;
}

/** Distinct policy rule names as labels per hub; past it, denials count under rule="other". */
export const MAX_RULE_SERIES = 200;

/** Distinct tool series per hub; past it, calls count under tool="other". */
export const MAX_TOOL_SERIES = 500;

/** Latency buckets (seconds) from 0.5 ms, for stages that take microseconds. */
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

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
    denials: new Counter({
      name: 'hatago_denials_total',
      help: 'Requests denied by the policy, by stage (network, request, auth), code and rule (at most MAX_RULE_SERIES rules, then other)',
      labelNames: ['stage', 'code', 'rule'] as const,
      registers,
    }),
    requestDuration: new SeriesHistogram({
      name: 'hatago_request_duration_seconds',
      help: 'JSON-RPC requests through the hub, by transport, method and outcome code (ok, or the error code the client got)',
      labelNames: ['transport', 'method', 'code'] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
    stageDuration: new SeriesHistogram({
      name: 'hatago_stage_duration_seconds',
      help: 'Time in each lifecycle stage (docs/lifecycle.md), by stage and outcome (ok, or the code it failed with)',
      labelNames: ['stage', 'outcome'] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
    policyEvaluation: new SeriesHistogram({
      name: 'hatago_policy_evaluation_duration_seconds',
      help: 'Policy evaluations (opa-wasm), by the policy contract stage',
      labelNames: ['stage'] as const,
      buckets: FAST_BUCKETS,
      registers,
    }),
    upstreamDuration: new SeriesHistogram({
      name: 'hatago_upstream_request_duration_seconds',
      help: 'Calls to upstream servers, by server, method and outcome (ok, or the error kind)',
      labelNames: ['server', 'method', 'outcome'] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'hatago_upstream_errors_total',
      help: 'Failed upstream calls, by server and error kind',
      labelNames: ['server', 'kind'] as const,
      registers,
    }),
    toolCalls: new Counter({
      name: 'hatago_tool_calls_total',
      help: 'tools/call forwarded to upstreams, by server, exposed tool name (catalog names only, capped) and outcome',
      labelNames: ['server', 'tool', 'outcome'] as const,
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'hatago_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes, by server and states',
      labelNames: ['server', 'from', 'to'] as const,
      registers,
    }),
    rateLimitDecisions: new Counter({
      name: 'hatago_rate_limit_decisions_total',
      help: 'Requests counted by the rate-limit stage, by result: allowed, limited, unavailable',
      labelNames: ['result'] as const,
      registers,
    }),
    rateLimitStoreDuration: new SeriesHistogram({
      name: 'hatago_rate_limit_store_duration_seconds',
      help: 'Round trips to the rate-limit store, by store (memory, redis)',
      labelNames: ['store'] as const,
      buckets: FAST_BUCKETS,
      registers,
    }),
    auditWriteDuration: new SeriesHistogram({
      name: 'hatago_audit_write_duration_seconds',
      help: 'From an audit record handed to the trail to its being durable (fdatasync)',
      buckets: FAST_BUCKETS,
      registers,
    }),
    auditQueueDepth: new Gauge({
      name: 'hatago_audit_queue_depth',
      help: 'Audit records handed to the trail and not yet durable',
      registers,
    }),
    sessionsOpen: new Gauge({
      name: 'hatago_sessions_open',
      help: 'Open downstream sessions (HTTP 2025-11-25) and stdio connections',
      labelNames: ['transport'] as const,
      registers,
    }),
    policyRevision: new Gauge({
      name: 'hatago_policy_bundle_info',
      help: 'The active policy bundle: 1 for its revision',
      labelNames: ['revision'] as const,
      registers,
    }),
    policyActivated: new Gauge({
      name: 'hatago_policy_bundle_activated_timestamp_seconds',
      help: 'When the active policy bundle was activated (Unix time; age = time() - this)',
      registers,
    }),
  };
}

/** prom-client gauges named like counters: `promtool check metrics` refuses them, so they are left out. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Node's process metrics (CPU, memory, event loop lag, GC) on the hub's registry, standard names. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
}
