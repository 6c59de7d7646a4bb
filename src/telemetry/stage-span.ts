// The span of one lifecycle stage, made without the SDK's Tracer: a stage
// span is always a local child of a recording span (the HTTP request's or the
// JSON-RPC request's), so the Tracer's work per span (sampling, validating the
// parent's ids, sanitizing attributes, its self-metrics, the timing anchor)
// is already done by the parent. Ten of a call's twelve spans are stage
// spans; made here, each costs an id, one object and two clock reads. It is
// an SDK ReadableSpan, handed to the same BatchSpanProcessor and exporter as
// the Tracer's spans, so the export is the same.

import { SpanKind, SpanStatusCode, type AttributeValue, type HrTime, type Link, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { hrTimeDuration } from '@opentelemetry/core';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { pooledIds as ids } from './span-ids.js';

// Most stage spans have no attributes, links, events or status: they share these (the exporter only reads them).
const NONE: Record<string, AttributeValue> = Object.freeze({}) as Record<string, AttributeValue>;
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];

/** What the span helpers write to: an SDK span or a stage span. */
export interface SpanWriter {
  setAttribute(key: string, value: AttributeValue): unknown;
  setStatus(status: SpanStatus): unknown;
}

/** The clock of a trace's local root (a Tracer span): its start, and the monotonic reading at that start. */
export interface SpanClock {
  readonly startTime: HrTime;
  readonly startedAt: number;
}

/**
 * A recording span and the clock its children are timed on: the local root's (the SDK measures a span's
 * end the same way), so every span under one root reads one clock and none can end past its parent.
 */
export interface ParentSpan {
  readonly span: ReadableSpan;
  readonly clock: SpanClock;
}

export class StageSpan implements ReadableSpan, SpanWriter {
  readonly kind = SpanKind.INTERNAL;
  readonly parentSpanContext: SpanContext;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  ended = false;
  status: SpanStatus = UNSET;
  attributes: Record<string, AttributeValue> = NONE;
  readonly links: Link[] = NO_LINKS;
  readonly events: TimedEvent[] = NO_EVENTS;
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

  /** This span as the parent of others (the JSON-RPC request's span is one: its stage spans are its children). */
  asParent(): ParentSpan {
    return { span: this, clock: this.parent.clock };
  }

  get resource(): ReadableSpan['resource'] {
    return this.parent.span.resource;
  }

  get instrumentationScope(): ReadableSpan['instrumentationScope'] {
    return this.parent.span.instrumentationScope;
  }

  get duration(): HrTime {
    return hrTimeDuration(this.startTime, this.endTime);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.attributes === NONE) this.attributes = {};
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
    this.ended = true;
    return true;
  }

  /** Wall-clock time on the root's clock: its start plus the monotonic time since (one array, no intermediates). */
  private now(): HrTime {
    const clock = this.parent.clock;
    const [s, ns] = clock.startTime;
    const nanos = ns + Math.round((performance.now() - clock.startedAt) * 1e6);
    const carry = Math.floor(nanos / 1e9);
    return [s + carry, nanos - carry * 1e9];
  }
}
