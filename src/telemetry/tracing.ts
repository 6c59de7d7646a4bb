// OpenTelemetry traces, off by default (docs/telemetry.md). One span per
// HTTP request, one per JSON-RPC request inside it (or per stdio request),
// one child span per lifecycle stage (the runners' observers: one place),
// and the upstream call carries the forward stage's `traceparent`, on HTTP
// and in `params._meta`. Attributes name the decision, its revision, the
// rules of a deny, the server and the tool; never arguments, tokens or
// claims. Parents are passed explicitly (no async-context manager): a span's
// parent is whatever the exchange it belongs to carries. Stage spans are made
// without the Tracer (stage-span.ts): they are most of a trace's spans.

import type { IncomingMessage } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/types.js';
import { HatagoError, isHatagoError } from '../errors/index.js';
import { methodLabel } from '../mcp/methods.js';
import type { LogWriter } from '../log/logger.js';
import type { HttpExchange } from '../pipeline/http-exchange.js';
import type { McpExchange } from '../pipeline/mcp-exchange.js';
import type { StageSpec } from '../pipeline/stage.js';
import { PACKAGE_INFO } from '../util/package-info.js';
import { SpanBatcher } from './span-batcher.js';
import { pooledIds } from './span-ids.js';
import { StageSpan, type ParentSpan, type SpanWriter } from './stage-span.js';

const propagator = new W3CTraceContextPropagator();
/** The batch processor's defaults (the SDK's), unless the config or the OTEL_BSP_* variables say otherwise. */
const DEFAULT_QUEUE = 2048;
const DEFAULT_EXPORT_BATCH = 512;
const DEFAULT_SCHEDULE_DELAY_MS = 5000;

/** Header and `_meta` values that carry one span's context to the next hop. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

type Exchange = object;

// In its own module so that start-up can ask it without loading the OpenTelemetry SDK (src/server/start-hub.ts).
export { tracingEnabled } from './tracing-enabled.js';

/** The OTLP/HTTP encodings hatago exports in (OTLP's own names, as OTEL_EXPORTER_OTLP_PROTOCOL spells them). */
export const TRACES_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type TracesProtocol = (typeof TRACES_PROTOCOLS)[number];

/**
 * The encoding of exported spans: the config, else OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else
 * OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf (OTLP's default; a third of JSON's bytes, and no
 * JSON object tree built per span). `grpc` is refused: the hub sends OTLP over HTTP only.
 */
export function tracesProtocol(config: TelemetryConfig | undefined, env: NodeJS.ProcessEnv): TracesProtocol {
  const fromEnv = (name: string) => (env[name]?.trim() ? { value: env[name]!.trim(), from: name } : undefined);
  const chosen = (config?.traces?.protocol !== undefined ? { value: config.traces.protocol, from: 'telemetry.traces.protocol' } : undefined)
    ?? fromEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? fromEnv('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (!chosen) return 'http/protobuf';
  if ((TRACES_PROTOCOLS as readonly string[]).includes(chosen.value)) return chosen.value as TracesProtocol;
  throw new HatagoError('ERR_CONFIG_INVALID', { message: `${chosen.from}=${chosen.value}: traces are exported over OTLP/HTTP only (${TRACES_PROTOCOLS.join(' or ')})` });
}

export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly processor: SpanBatcher;

  constructor(config: TelemetryConfig | undefined, env: NodeJS.ProcessEnv, private readonly logger?: LogWriter) {
    const traces = config?.traces ?? {};
    const ratio = traces.sampleRatio ?? 1;
    // Batched and bounded: a slow or absent collector drops spans, never stalls a request. A span is
    // encoded when it ends (span-batcher.ts), so a batch holds bytes, not spans waiting to be collected.
    this.processor = new SpanBatcher({
      protocol: tracesProtocol(config, env),
      ...(traces.endpoint !== undefined && { url: traces.endpoint }),
      ...(traces.headers !== undefined && { headers: traces.headers }),
      ...(traces.exportTimeoutMs !== undefined && { timeoutMillis: traces.exportTimeoutMs }),
      maxQueueSize: traces.maxQueueSize ?? positive(env.OTEL_BSP_MAX_QUEUE_SIZE) ?? DEFAULT_QUEUE,
      maxExportBatchSize: traces.maxExportBatchSize ?? positive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) ?? DEFAULT_EXPORT_BATCH,
      scheduleDelayMs: positive(env.OTEL_BSP_SCHEDULE_DELAY) ?? DEFAULT_SCHEDULE_DELAY_MS,
      onDropped: (count) => this.logger?.warn('trace spans dropped: the export queue was full', { component: 'telemetry', count }),
    });
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
      idGenerator: pooledIds,
      spanProcessors: [this.processor],
    });
    this.tracer = this.provider.getTracer('hatago', PACKAGE_INFO.version);
  }

  /** The span of one HTTP request, continuing an incoming traceparent. Returns its end. */
  http(x: HttpExchange, route: string): (status: number) => void {
    const parent = propagator.extract(ROOT_CONTEXT, x.req.headers, headerGetter);
    const startedAt = performance.now();
    const span = this.tracer.startSpan(`${x.req.method ?? 'HTTP'} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': x.req.method ?? '', 'url.path': route, 'network.protocol.name': 'http' },
    }, parent);
    const ctx = trace.setSpan(parent, span);
    const traced = this.remember(x, span, ctx, startedAt);
    // The JSON-RPC requests of this HTTP request find their parent on the context they carry.
    (ctx as TracedContext)[TRACED] = traced;
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
    // The client names the method: only known methods become names (no unbounded span names).
    const method = methodLabel(x.method);
    const httpParent = x.caller.trace !== undefined ? (x.caller.trace as TracedContext)[TRACED] : undefined;
    if (httpParent?.recording) {
      // Over HTTP the request's span is a local child of the recording HTTP span: made as a stage span is
      // (no Tracer: the sampling and checks are its parent's), and the parent of the stage spans after it.
      const span = new StageSpan(mcpSpanName(method), httpParent.recording);
      span.setAttribute('rpc.system', 'jsonrpc');
      span.setAttribute('rpc.method', method);
      span.setAttribute('mcp.transport', x.caller.transport);
      span.setAttribute('mcp.protocol_version', x.caller.protocolVersion);
      (x as Traced)[TRACED] = { ctx: trace.setSpanContext(httpParent.ctx, span.spanContext()), recording: span.asParent() };
      return (error) => {
        decisionAttributes(span, x, error);
        if (error !== undefined) fail(span, error);
        if (span.end()) this.processor.onEnd(span);
      };
    }
    const parent = (x.caller.trace as Context | undefined) ?? propagator.extract(ROOT_CONTEXT, metaOf(x.params), metaGetter);
    const startedAt = performance.now();
    const span = this.tracer.startSpan(mcpSpanName(method), {
      kind: x.caller.transport === 'stdio' ? SpanKind.SERVER : SpanKind.INTERNAL,
      attributes: { 'rpc.system': 'jsonrpc', 'rpc.method': method, 'mcp.transport': x.caller.transport, 'mcp.protocol_version': x.caller.protocolVersion },
    }, parent);
    this.remember(x, span, trace.setSpan(parent, span), startedAt);
    return (error) => {
      decisionAttributes(span, x, error);
      if (error !== undefined) fail(span, error);
      span.end();
    };
  }

  /** Runner hook: a stage's span opens as a child of its exchange's span. */
  readonly stageStarted = (stage: StageSpec, x: unknown): void => {
    const parent = (x as Traced)[TRACED];
    if (!parent) return;
    const forward = stage.name === 'forward' && isMcpExchange(x);
    if (!parent.recording) {
      // Not sampled: no stage spans; the upstream still continues the trace (unsampled).
      if (forward) x.traceCarrier = carrierOf(parent.ctx);
      return;
    }
    const span = new StageSpan(stageSpanName(stage), parent.recording);
    (x as Traced)[OPEN] = span;
    // The forward stage's context goes on to the upstream (Hub.callUpstream reads it).
    if (forward) x.traceCarrier = carrierOf(trace.setSpanContext(parent.ctx, span.spanContext()));
  };

  /** Runner hook: the stage's span closes with its outcome and goes to the exporter's batch. */
  readonly stageEnded = (stage: StageSpec, x: unknown, outcome: { error?: unknown }): void => {
    const span = (x as Traced)[OPEN];
    if (!span) return;
    (x as Traced)[OPEN] = undefined;
    // The request's span carries the decision and target; a stage's span only when the stage decided or failed.
    if (isMcpExchange(x) && (outcome.error !== undefined || stage.name === 'policy')) decisionAttributes(span, x, outcome.error);
    if (outcome.error !== undefined) fail(span, outcome.error);
    if (span.end()) this.processor.onEnd(span);
  };

  /**
   * Stage spans are timed as the SDK times its span's end: its start plus the monotonic clock since
   * the SDK read it (`_performanceStartTime`, the SDK's own anchor; the SDK is pinned). Without it,
   * `startedAt` (read just before the span started): a few µs late, so a child could end past its parent.
   */
  private remember(x: Exchange, span: Span, ctx: Context, startedAt: number): Parent {
    const anchor = (span as unknown as { _performanceStartTime?: unknown })._performanceStartTime;
    // The SDK's recording spans are its ReadableSpans; a sampled-out span is not, and has no stage spans.
    const readable = span as unknown as ReadableSpan;
    const recording = span.isRecording() ? { span: readable, clock: { startTime: readable.startTime, startedAt: typeof anchor === 'number' ? anchor : startedAt } } : undefined;
    const traced: Parent = { ctx, recording };
    (x as Traced)[TRACED] = traced;
    return traced;
  }

  /** Flushes what is queued (bounded by the exporter's timeout) and stops. */
  async close(): Promise<void> {
    try {
      await this.provider.shutdown();
    } catch (err) {
      this.logger?.warn('trace export failed at shutdown', { component: 'telemetry', error: String(err) });
    }
  }
}

/** A positive number from an environment variable, else undefined (the default applies). */
function positive(value: string | undefined): number | undefined {
  const n = value?.trim() ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

interface Parent {
  ctx: Context;
  recording: ParentSpan | undefined;
}

// An exchange's span and its open stage span live on the exchange itself, under symbols only this module
// knows: a property read, where a WeakMap lookup per stage (and its ephemeron for the collector) cost more.
const TRACED = Symbol('hatago.trace.parent');
const OPEN = Symbol('hatago.trace.openStage');
interface Traced {
  [TRACED]?: Parent;
  [OPEN]?: StageSpan | undefined;
}
type TracedContext = Context & { [TRACED]?: Parent };

const mcpSpanNames = new Map<string, string>();
/** `mcp <method>`, made once per method label (a bounded set). */
function mcpSpanName(method: string): string {
  let name = mcpSpanNames.get(method);
  if (name === undefined) mcpSpanNames.set(method, (name = `mcp ${method}`));
  return name;
}

const stageSpanNames = new WeakMap<StageSpec, string>();
/** `stage <name>`, made once per stage (the same string on every span). */
function stageSpanName(stage: StageSpec): string {
  let name = stageSpanNames.get(stage);
  if (name === undefined) stageSpanNames.set(stage, (name = `stage ${stage.name}`));
  return name;
}

/** The context of an active span as W3C header values. */
function carrierOf(ctx: Context): TraceCarrier | undefined {
  const out: Record<string, string> = {};
  propagator.inject(ctx, out, { set: (c, k, v) => void ((c as Record<string, string>)[k] = v) });
  return out.traceparent ? { traceparent: out.traceparent, ...(out.tracestate && { tracestate: out.tracestate }) } : undefined;
}

/** What a span may say of a request: its decision, the rules of a deny, server and tool. Never arguments or claims. */
function decisionAttributes(span: SpanWriter, x: McpExchange, error: unknown): void {
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

function fail(span: SpanWriter, error: unknown): void {
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
