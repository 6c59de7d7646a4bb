// The hub's span processor: the OpenTelemetry SDK's BatchSpanProcessor
// contract (a bounded queue, batches of at most maxExportBatchSize spans,
// a batch exported when full or scheduleDelayMs after its first span, a
// flush on shutdown), except that a span is encoded when it ends
// (otlp-encoding.ts) instead of kept until its batch is serialized. The
// export itself is the SDK's OTLP/HTTP delegate: its transport, retries,
// headers, timeout and concurrency limit.

import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, globalErrorHandler } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, ProtobufTraceSerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { JSON_ENCODING, PROTOBUF, type SpanBatch, type SpanEncoding } from './otlp-encoding.js';

/** Dropped spans are told at most this often (a queue that stays full would otherwise log on every drain). */
const DROPPED_TOLD_EVERY_MS = 10_000;

export interface SpanBatcherOptions {
  protocol: 'http/protobuf' | 'http/json';
  url?: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduleDelayMs: number;
  /** Told of dropped spans (the queue was full), with how many since the last time: at most once per 10 s. */
  onDropped?: (count: number) => void;
}

export class SpanBatcher implements SpanProcessor {
  private readonly encoding: SpanEncoding;
  private readonly delegate: IOtlpExportDelegate<SpanBatch>;
  private readonly maxBatch: number;
  /** Encoded batches not yet handed to the exporter (the last one is filling). */
  private batches: SpanBatch[] = [];
  /** Spans in `batches`: the queue maxQueueSize bounds. */
  private queued = 0;
  private dropped = 0;
  private droppedToldAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  /** An export is on its way (the next waits for it). */
  private exporting = false;
  /** The first batch's delay is up: it goes when the export before it is done, full or not. */
  private due = false;
  private closed = false;

  constructor(private readonly opts: SpanBatcherOptions) {
    this.encoding = opts.protocol === 'http/json' ? JSON_ENCODING : PROTOBUF;
    // As the SDK: a batch never exceeds the queue.
    this.maxBatch = Math.max(1, Math.min(opts.maxExportBatchSize, opts.maxQueueSize));
    const serializer = opts.protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
    this.delegate = createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(
        { ...(opts.url !== undefined && { url: opts.url }), ...(opts.headers !== undefined && { headers: opts.headers }), ...(opts.timeoutMillis !== undefined && { timeoutMillis: opts.timeoutMillis }) },
        'TRACES',
        'v1/traces',
        { 'Content-Type': this.encoding.contentType },
      ),
      {
        serializeRequest: (batch: SpanBatch) => batch.finish(),
        // The collector's answer (partial success) is read by the SDK's own deserializer.
        deserializeResponse: (data: Uint8Array): IExportTraceServiceResponse => serializer.deserializeResponse(data),
      },
      'otlp_http_span_exporter',
      { name: 'span', countItems: (batch: SpanBatch) => batch.count },
      undefined,
    );
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.opts.maxQueueSize) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0 && performance.now() - this.droppedToldAt >= DROPPED_TOLD_EVERY_MS) {
      this.opts.onDropped?.(this.dropped);
      this.dropped = 0;
      this.droppedToldAt = performance.now();
    }
    let batch = this.batches[this.batches.length - 1];
    if (!batch || batch.count >= this.maxBatch || batch.resource !== span.resource || batch.scope !== span.instrumentationScope) {
      batch = this.encoding.batch(span.resource, span.instrumentationScope);
      this.batches.push(batch);
    }
    batch.add(span);
    this.queued++;
    if (batch.count >= this.maxBatch) this.next();
    else this.schedule();
  }

  /** The delay of a batch that is not full: from its first span. */
  private schedule(): void {
    if (this.timer !== undefined || this.batches.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.next();
    }, this.opts.scheduleDelayMs);
    this.timer.unref();
  }

  /**
   * One export at a time, as the SDK's processor: while one is on its way, spans wait in the queue
   * (a slow or absent collector fills it, and then spans are dropped, never a request held). The
   * first batch goes when it is full, or when its delay is up.
   */
  private next(): void {
    if (this.batches.length === 0) this.due = false;
    if (this.exporting || this.batches.length === 0) return;
    const first = this.batches[0]!;
    if (first.count < this.maxBatch && !this.due) return this.schedule();
    this.due = false;
    this.batches.shift();
    this.exporting = true;
    this.send(first, () => {
      this.exporting = false;
      if (this.due || (this.batches.length > 0 && this.batches[0]!.count >= this.maxBatch)) this.next();
      else this.schedule();
    });
  }

  /** Everything queued, at once (forceFlush, shutdown). */
  private exportAll(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const batch of this.batches.splice(0)) this.send(batch);
  }

  private send(batch: SpanBatch, done?: () => void): void {
    this.queued -= batch.count;
    this.delegate.export(batch, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) globalErrorHandler(result.error ?? new Error(`BatchSpanProcessor: span export failed (status ${result.code})`));
      done?.();
    });
  }

  async forceFlush(): Promise<void> {
    this.exportAll();
    await this.delegate.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.exportAll();
    this.closed = true;
    await this.delegate.shutdown();
  }
}
