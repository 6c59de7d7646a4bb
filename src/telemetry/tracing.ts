// OpenTelemetry traces, off by default (docs/telemetry.md). One span per
// HTTP request, one per JSON-RPC request inside it (or per stdio request),
// one child span per lifecycle stage (the runners' observers: one place),
// and the upstream call carries the forward stage's `traceparent`, on HTTP
// and in `params._meta`. Attributes name the decision, its revision, the
// rules of a deny, the server and the tool; never arguments, tokens or
// claims. Parents are passed explicitly (no async-context manager): a span's
// parent is whatever the exchange it belongs to carries.

import type { IncomingMessage } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/types.js';
import { isHatagoError } from '../errors/index.js';
import { methodLabel } from '../mcp/methods.js';
import type { LogWriter } from '../log/logger.js';
import type { HttpExchange } from '../pipeline/http-exchange.js';
import type { McpExchange } from '../pipeline/mcp-exchange.js';
import type { StageSpec } from '../pipeline/stage.js';
import { PACKAGE_INFO } from '../util/package-info.js';

const propagator = new W3CTraceContextPropagator();

/** Header and `_meta` values that carry one span's context to the next hop. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

type Exchange = object;

// In its own module so that start-up can ask it without loading the OpenTelemetry SDK (src/server/start-hub.ts).
export { tracingEnabled } from './tracing-enabled.js';

export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  /** The context each exchange's spans are children of (its own span). */
  private readonly parents = new WeakMap<Exchange, Context>();
  /** The stage span open on each exchange (stages of one exchange run one at a time). */
  private readonly open = new WeakMap<Exchange, Span>();

  constructor(config: TelemetryConfig | undefined, env: NodeJS.ProcessEnv, private readonly logger?: LogWriter) {
    const traces = config?.traces ?? {};
    const exporter = new OTLPTraceExporter({
      ...(traces.endpoint !== undefined && { url: traces.endpoint }),
      ...(traces.headers !== undefined && { headers: traces.headers }),
      ...(traces.exportTimeoutMs !== undefined && { timeoutMillis: traces.exportTimeoutMs }),
    });
    const ratio = traces.sampleRatio ?? 1;
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': config?.serviceName ?? env.OTEL_SERVICE_NAME ?? 'hatago',
        'service.version': PACKAGE_INFO.version,
      }),
      // A caller's trace is continued (same trace id), but its sampled flag decides nothing: a client
      // can neither hide its requests (flag 00) nor force every span out (flag 01). New and remote-parented
      // traces are kept by ratio; spans under the hub's own spans follow them.
      sampler: new ParentBasedSampler({
        root: new TraceIdRatioBasedSampler(ratio),
        remoteParentSampled: new TraceIdRatioBasedSampler(ratio),
        remoteParentNotSampled: new TraceIdRatioBasedSampler(ratio),
      }),
      // Batched and bounded: a slow or absent collector drops spans, never stalls a request.
      spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: traces.maxQueueSize ?? 2048 })],
    });
    this.tracer = this.provider.getTracer('hatago', PACKAGE_INFO.version);
  }

  /** The span of one HTTP request, continuing an incoming traceparent. Returns its end. */
  http(x: HttpExchange, route: string): (status: number) => void {
    const parent = propagator.extract(ROOT_CONTEXT, x.req.headers, headerGetter);
    const span = this.tracer.startSpan(`${x.req.method ?? 'HTTP'} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': x.req.method ?? '', 'url.path': route, 'network.protocol.name': 'http' },
    }, parent);
    const ctx = trace.setSpan(parent, span);
    this.parents.set(x, ctx);
    x.trace = ctx;
    return (status) => {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
  }

  /**
   * The span of one JSON-RPC request: a child of its HTTP request's span, or
   * (stdio) of the traceparent in its `params._meta`. Returns its end.
   */
  mcp(x: McpExchange): (error?: unknown) => void {
    const parent = (x.caller.trace as Context | undefined) ?? propagator.extract(ROOT_CONTEXT, metaOf(x.params), metaGetter);
    // The client names the method: only known methods become names (no unbounded span names).
    const method = methodLabel(x.method);
    const span = this.tracer.startSpan(`mcp ${method}`, {
      kind: x.caller.transport === 'stdio' ? SpanKind.SERVER : SpanKind.INTERNAL,
      attributes: { 'rpc.system': 'jsonrpc', 'rpc.method': method, 'mcp.transport': x.caller.transport, 'mcp.protocol_version': x.caller.protocolVersion },
    }, parent);
    this.parents.set(x, trace.setSpan(parent, span));
    return (error) => {
      decisionAttributes(span, x, error);
      if (error !== undefined) fail(span, error);
      span.end();
    };
  }

  /** Runner hook: a stage's span opens as a child of its exchange's span. */
  readonly stageStarted = (stage: StageSpec, x: unknown): void => {
    const parent = this.parents.get(x as Exchange);
    if (!parent) return;
    const span = this.tracer.startSpan(`stage ${stage.name}`, { attributes: { 'hatago.stage': stage.name } }, parent);
    this.open.set(x as Exchange, span);
    // The forward stage's context goes on to the upstream (Hub.callUpstream reads it).
    if (stage.name === 'forward' && isMcpExchange(x)) x.traceCarrier = carrierOf(trace.setSpan(parent, span));
  };

  /** Runner hook: the stage's span closes with its outcome. */
  readonly stageEnded = (stage: StageSpec, x: unknown, outcome: { error?: unknown }): void => {
    const span = this.open.get(x as Exchange);
    if (!span) return;
    this.open.delete(x as Exchange);
    // The request's span carries the decision and target; a stage's span only when the stage decided or failed.
    if (isMcpExchange(x) && (outcome.error !== undefined || stage.name === 'policy')) decisionAttributes(span, x, outcome.error);
    if (outcome.error !== undefined) fail(span, outcome.error);
    span.end();
  };

  /** Flushes what is queued (bounded by the exporter's timeout) and stops. */
  async close(): Promise<void> {
    try {
      await this.provider.shutdown();
    } catch (err) {
      this.logger?.warn('trace export failed at shutdown', { component: 'telemetry', error: String(err) });
    }
  }
}

/** The context of an active span as W3C header values. */
function carrierOf(ctx: Context): TraceCarrier | undefined {
  const out: Record<string, string> = {};
  propagator.inject(ctx, out, { set: (c, k, v) => void ((c as Record<string, string>)[k] = v) });
  return out.traceparent ? { traceparent: out.traceparent, ...(out.tracestate && { tracestate: out.tracestate }) } : undefined;
}

/** What a span may say of a request: its decision, the rules of a deny, server and tool. Never arguments or claims. */
function decisionAttributes(span: Span, x: McpExchange, error: unknown): void {
  const d = x.decision;
  const data = isHatagoError(error) ? error.data : undefined;
  const decisionId = d?.decisionId ?? (typeof data?.decisionId === 'string' ? data.decisionId : undefined);
  if (decisionId !== undefined) span.setAttribute('hatago.decision_id', decisionId);
  if (d?.revision !== undefined) span.setAttribute('hatago.policy.revision', d.revision);
  const revision = (error as { revision?: unknown } | undefined)?.revision;
  if (d?.revision === undefined && typeof revision === 'string') span.setAttribute('hatago.policy.revision', revision);
  // A policy denial's detail is its rule names, comma-separated.
  if (isHatagoError(error) && error.code === 'ERR_PERMISSION_DENIED' && error.detail) span.setAttribute('hatago.deny.rules', error.detail.split(',').slice(0, 20));
  const server = x.plan.upstream?.server ?? x.plan.guard.server;
  if (server !== undefined) span.setAttribute('mcp.server', server);
  if (x.method === 'tools/call' && x.plan.upstream) span.setAttribute('mcp.tool', x.plan.guard.exposed ?? '');
}

function fail(span: Span, error: unknown): void {
  const code = isHatagoError(error) ? error.code : (error as { name?: unknown })?.name === 'AbortError' ? 'cancelled' : 'error';
  span.setAttribute('hatago.error.code', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

function isMcpExchange(x: unknown): x is McpExchange {
  return typeof x === 'object' && x !== null && 'plan' in x && 'caller' in x;
}

const headerGetter = {
  keys: (c: IncomingMessage['headers']) => Object.keys(c),
  get: (c: IncomingMessage['headers'], k: string) => {
    const v = c[k];
    return Array.isArray(v) ? v[0] : v;
  },
};

function metaOf(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
}

const metaGetter = {
  keys: (c: Record<string, unknown>) => Object.keys(c),
  get: (c: Record<string, unknown>, k: string) => (typeof c[k] === 'string' ? (c[k] as string) : undefined),
};
