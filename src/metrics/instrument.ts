// Where the request path meets the metrics: small wrappers and observers,
// so no stage, store or sink imports prom-client. Labels are bounded: methods
// from the method list, codes from the error table, servers from the config,
// tools from the catalog (capped), stages from the lifecycle.

import { classifyError } from '../breaker/classify-error.js';
import { isHatagoError } from '../errors/index.js';
import { mcpMethod } from '../mcp/methods.js';
import type { PolicyDecider, PolicySource } from '../pipeline/policy-source.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import type { StageObserver } from '../pipeline/stage.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import { isUpstreamRpcError } from '../upstreams/errors.js';
import { MAX_TOOL_SERIES, type HatagoMetrics } from './create-metrics.js';

/** `ok`, the hatago code the client got, `upstream_error` (the upstream's own JSON-RPC error) or `internal`. */
export function outcomeOf(error: unknown): string {
  if (error === undefined) return 'ok';
  if (isHatagoError(error)) return error.code;
  if (isUpstreamRpcError(error)) return 'upstream_error';
  return 'internal';
}

/** A method label: the method when it is one the hub knows, else `other`. */
export function methodLabel(method: string): string {
  return mcpMethod(method) !== undefined || method.startsWith('admin/') ? method : 'other';
}

export function stageMetrics(metrics: HatagoMetrics): StageObserver<unknown> {
  return (stage, _ctx, outcome) => metrics.stageDuration.observe({ stage: stage.name, outcome: outcomeOf(outcome.error) }, outcome.durationMs / 1000);
}

/** What the hub tells about each request and each upstream call (Hub's `measure` option). */
export interface HubMeasure {
  request(transport: string, method: string, durationMs: number, error?: unknown): void;
  upstream(server: string, method: string, tool: string | undefined, durationMs: number, error?: unknown): void;
}

export function hubMetrics(metrics: HatagoMetrics): HubMeasure {
  const tools = new Set<string>();
  const toolLabel = (tool: string): string => {
    if (tools.has(tool)) return tool;
    if (tools.size >= MAX_TOOL_SERIES) return 'other';
    tools.add(tool);
    return tool;
  };
  return {
    request(transport, method, durationMs, error) {
      metrics.requestDuration.observe({ transport, method: methodLabel(method), code: outcomeOf(error) }, durationMs / 1000);
    },
    upstream(server, method, tool, durationMs, error) {
      const kind = error === undefined ? 'ok' : classifyError(error) ?? 'cancelled';
      metrics.upstreamDuration.observe({ server, method: methodLabel(method), outcome: kind }, durationMs / 1000);
      if (error !== undefined && kind !== 'cancelled') metrics.upstreamErrors.inc({ server, kind });
      if (tool !== undefined) metrics.toolCalls.inc({ server, tool: toolLabel(tool), outcome: kind });
    },
  };
}

/** The policy, with each evaluation timed by its contract stage. One wrapper per engine. */
export function timedPolicy(source: PolicySource, metrics: HatagoMetrics): PolicySource {
  const wrapped = new WeakMap<PolicyDecider, PolicyDecider>();
  return {
    current() {
      const engine = source.current();
      let timed = wrapped.get(engine);
      if (!timed) {
        timed = {
          revision: engine.revision,
          decide(input) {
            const started = performance.now();
            try {
              return engine.decide(input);
            } finally {
              const stage = (input as { stage?: unknown }).stage;
              metrics.policyEvaluation.observe({ stage: typeof stage === 'string' ? stage : 'unknown' }, (performance.now() - started) / 1000);
            }
          },
        };
        wrapped.set(engine, timed);
      }
      return timed;
    },
  };
}

/** The rate-limit store with each round trip timed. */
export function timedStore(store: RateLimitStore, kind: 'memory' | 'redis', metrics: HatagoMetrics): RateLimitStore {
  const time = <T>(started: number, p: Promise<T>): Promise<T> =>
    p.finally(() => metrics.rateLimitStoreDuration.observe({ store: kind }, (performance.now() - started) / 1000));
  return {
    hit: (key, windowMs, max, nowMs) => time(performance.now(), store.hit(key, windowMs, max, nowMs)),
    hitAll: (limits, nowMs, opts) => time(performance.now(), store.hitAll(limits, nowMs, opts)),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

/** The audit sink with its write latency and the records waiting to be durable. */
export function timedAudit(sink: SecurityEventSink, metrics: HatagoMetrics): SecurityEventSink {
  return async (e) => {
    const started = performance.now();
    metrics.auditQueueDepth.inc();
    try {
      return await sink(e);
    } finally {
      metrics.auditQueueDepth.dec();
      metrics.auditWriteDuration.observe((performance.now() - started) / 1000);
    }
  };
}
