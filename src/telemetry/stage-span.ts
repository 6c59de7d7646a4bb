// The span of one lifecycle stage, made without the SDK's Tracer: a stage
// span is always a local child of a recording span (the HTTP request's or the
// JSON-RPC request's), so the Tracer's work per span (sampling, validating the
// parent's ids, sanitizing attributes, its self-metrics, the timing anchor)
// is already done by the parent. Ten of a call's twelve spans are stage
// spans; made here, each costs an id, one object and two clock reads. It is
// an SDK ReadableSpan, handed to the same BatchSpanProcessor and exporter as
// the Tracer's spans, so the export is the same.

import { SpanKind, SpanStatusCode, type AttributeValue, type HrTime, type Link, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { addHrTimes, hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import { RandomIdGenerator, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';

const ids = new RandomIdGenerator();

/** What the span helpers write to: an SDK span or a stage span. */
export interface SpanWriter {
  setAttribute(key: string, value: AttributeValue): unknown;
  setStatus(status: SpanStatus): unknown;
}

/** A recording span and the clock reading at its start: its children's times are measured from it, as the SDK measures a span's end. */
export interface ParentSpan {
  readonly span: ReadableSpan;
  readonly startedAt: number;
}

export class StageSpan implements ReadableSpan, SpanWriter {
  readonly kind = SpanKind.INTERNAL;
  readonly parentSpanContext: SpanContext;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [0, 0];
  ended = false;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly attributes: Record<string, AttributeValue> = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly context: SpanContext;

  constructor(readonly name: string, private readonly parent: ParentSpan) {
    const p = parent.span.spanContext();
    this.parentSpanContext = p;
    this.context = { traceId: p.traceId, spanId: ids.generateSpanId(), traceFlags: p.traceFlags, ...(p.traceState && { traceState: p.traceState }) };
    this.startTime = this.now();
  }

  get resource(): ReadableSpan['resource'] {
    return this.parent.span.resource;
  }

  get instrumentationScope(): ReadableSpan['instrumentationScope'] {
    return this.parent.span.instrumentationScope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }

  /** Closes the span; returns false if it already was. */
  end(): boolean {
    if (this.ended) return false;
    this.endTime = this.now();
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    this.ended = true;
    return true;
  }

  /** Wall-clock time on the parent's anchor: the parent's start plus the monotonic time since. */
  private now(): HrTime {
    return addHrTimes(this.parent.span.startTime, millisToHrTime(performance.now() - this.parent.startedAt));
  }
}
