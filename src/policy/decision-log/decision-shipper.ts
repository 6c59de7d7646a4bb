// Ships request decisions to an OPA-compatible decision-log service: POSTs
// of gzipped JSON arrays of OPA decision events (opa-event.ts), batched by
// count, bytes and time, held in a bounded buffer, retried with exponential
// backoff and jitter. Like the local decision log it is an observer: the
// hook only queues; masking, serialising and sending happen off the request
// path, and a slow or dead service costs dropped records, never a request.
import type { DecisionEvent } from '../../pipeline/policy/policy-guard.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { DropReason } from './drop-reporter.js';
import type { Sanitizer } from './mask.js';
import { toOpaEvent } from './opa-event.js';
import { uploadBatch, type UploadTarget } from './upload.js';

export interface DecisionShipperLimits {
  /** Records in one POST at most. */
  batchMaxRecords: number;
  /** Bytes of one POST's JSON array (before gzip) at most; a larger record is dropped (`too_large`). */
  batchMaxBytes: number;
  /** A batch that is not full goes out this long after its first record. */
  flushIntervalMs: number;
  /** Records held (waiting, being sent, awaiting retry) at most; the oldest waiting one is dropped for a new one. */
  maxBufferRecords: number;
  /** Bytes of serialised records held at most; the oldest waiting ones are dropped to stay under it. */
  maxBufferBytes: number;
  /** First retry delay; doubled per failed attempt up to retryMaxDelayMs, each with jitter (half to all of it). */
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  /** On close, the last flush is given this long; what is left is dropped (`shutdown`). */
  closeTimeoutMs: number;
}

export interface DecisionShipperOptions extends DecisionShipperLimits {
  target: UploadTarget;
  sanitize: Sanitizer;
  /** OPA's `labels` on every event. */
  labels: Record<string, string>;
  /** Called for every drop, synchronously (counters, the audit summary). */
  onDrop: (reason: DropReason, count: number) => void;
  /** Called when the service accepted a batch of `count` records. */
  onSent?: (count: number) => void;
  /** Called for each failed POST that will be retried. */
  onRetry?: () => void;
  logger?: Logger;
  /** In [0, 1): the jitter source. */
  random?: () => number;
}

export interface DecisionShipperStatus {
  url: string;
  sent: number;
  dropped: number;
  buffered: number;
  retries: number;
  lastError?: string;
}

interface Encoded {
  json: string;
  bytes: number;
}

/** A FIFO with O(1) push and shift, and a rare put-back at the front. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  peek(i: number): T | undefined {
    return this.items[this.head + i];
  }
  putBack(front: T[]): void {
    this.items = [...front, ...this.items.slice(this.head)];
    this.head = 0;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

type Outcome = 'sent' | 'rejected' | 'failed';

/** Statuses worth retrying: the service is down, overloaded or timed out. Other 4xx will not change. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * Delay before retry `attempt` (1-based): retryMinDelayMs doubled per earlier
 * failure, capped at retryMaxDelayMs, then jittered to between half of it
 * and all of it (`random` in [0, 1)), so hubs that lost the same service do
 * not come back in step.
 */
export function retryDelay(attempt: number, limits: Pick<DecisionShipperLimits, 'retryMinDelayMs' | 'retryMaxDelayMs'>, random: number): number {
  const ceiling = Math.min(limits.retryMaxDelayMs, limits.retryMinDelayMs * 2 ** Math.min(attempt - 1, 30));
  return ceiling / 2 + random * (ceiling / 2);
}

/** The URL as status and audit show it: no user info, no query (either may carry a credential). */
export const displayUrl = (u: URL): string => `${u.protocol}//${u.host}${u.pathname}`;

export class DecisionShipper {
  private readonly opts: DecisionShipperOptions;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly pending = new Fifo<DecisionEvent>();
  private readonly queue = new Fifo<Encoded>();
  private queuedBytes = 0;
  private inflight: Encoded[] | undefined;
  private inflightBytes = 0;
  private sending: Promise<void> = Promise.resolve();
  private encodeScheduled: NodeJS.Immediate | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private readonly abort = new AbortController();
  private closed = false;
  private counts = { sent: 0, dropped: 0, retries: 0 };
  private lastError: string | undefined;

  constructor(opts: DecisionShipperOptions) {
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({ component: 'decision-log-service' });
    this.random = opts.random ?? Math.random;
  }

  /** The onDecision hook: O(1), never throws, never waits. */
  readonly record = (event: DecisionEvent): void => {
    if (this.closed) {
      this.drop('shutdown', 1);
      return;
    }
    this.pending.push(event);
    if (this.pending.length + this.queue.length + (this.inflight?.length ?? 0) > this.opts.maxBufferRecords) this.evictOldest();
    this.encodeScheduled ??= setImmediate(() => {
      this.encodeScheduled = undefined;
      this.encode();
      this.drive();
    });
  };

  status(): DecisionShipperStatus {
    return {
      url: displayUrl(this.opts.target.url),
      ...this.counts,
      buffered: this.pending.length + this.queue.length + (this.inflight?.length ?? 0),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  /** One last flush, bounded by closeTimeoutMs; what does not make it is dropped (`shutdown`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.encodeScheduled) clearImmediate(this.encodeScheduled);
    this.encodeScheduled = undefined;
    clearTimeout(this.flushTimer);
    clearTimeout(this.backoffTimer);
    this.encode();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        this.abort.abort(); // ends the request in flight: it fails and its batch is put back, then dropped
        resolve();
      }, this.opts.closeTimeoutMs);
    });
    const work = (async () => {
      await this.sending;
      // One attempt per batch: no backoff on the way out.
      while (!timedOut && this.queue.length > 0) if ((await this.sendBatch()) === 'failed') break;
    })();
    await Promise.race([work, deadline]);
    clearTimeout(timer);
    await work;
    const left = this.queue.length;
    this.queue.clear();
    this.queuedBytes = 0;
    if (left > 0) {
      this.log.warn('decision log service: records not delivered at shutdown', { records: left, ...(this.lastError !== undefined && { error: this.lastError }) });
      this.drop('shutdown', left);
    }
  }

  private drop(reason: DropReason, n: number): void {
    this.counts.dropped += n;
    this.opts.onDrop(reason, n);
  }

  /** Drops the oldest record not yet being sent: a serialised one first, else a raw one. */
  private evictOldest(): void {
    const old = this.queue.shift();
    if (old) this.queuedBytes -= old.bytes;
    else this.pending.shift();
    this.drop('buffer_full', 1);
  }

  /** Masks and serialises the raw events, keeping the byte bound. */
  private encode(): void {
    const { sanitize, labels, batchMaxBytes, maxBufferBytes } = this.opts;
    for (let e = this.pending.shift(); e !== undefined; e = this.pending.shift()) {
      const json = JSON.stringify(toOpaEvent(e, sanitize, labels));
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes + 2 > batchMaxBytes) {
        // It could never be sent: no batch can hold it.
        this.drop('too_large', 1);
        continue;
      }
      this.queue.push({ json, bytes });
      this.queuedBytes += bytes;
      while (this.queuedBytes + this.inflightBytes > maxBufferBytes && this.queue.length > 0) this.evictOldest();
    }
  }

  /** Bytes of the queue's head as one JSON array, were it sent now (capped reading at one batch). */
  private batchReady(): boolean {
    const { batchMaxRecords, batchMaxBytes } = this.opts;
    if (this.queue.length >= batchMaxRecords) return true;
    // Full by bytes when the next record would not fit: `[` `]` and the commas count.
    return this.queuedBytes + this.queue.length + 1 >= batchMaxBytes;
  }

  /** Starts a send when a batch is full, else arms the time trigger. */
  private drive(): void {
    if (this.closed || this.inflight || this.backoffTimer || this.queue.length === 0) return;
    if (this.batchReady()) {
      this.startSend();
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (!this.closed && !this.inflight && !this.backoffTimer && this.queue.length > 0) this.startSend();
    }, this.opts.flushIntervalMs);
    this.flushTimer.unref();
  }

  private startSend(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.sending = this.sendBatch().then((outcome) => this.afterSend(outcome));
  }

  private afterSend(outcome: Outcome): void {
    if (this.closed) return;
    if (outcome !== 'failed') {
      this.attempts = 0;
      this.drive();
      return;
    }
    this.attempts++;
    const delay = retryDelay(this.attempts, this.opts, this.random());
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (!this.closed && this.queue.length > 0) this.startSend();
    }, delay);
    this.backoffTimer.unref();
  }

  /** Takes the queue's head as one batch and POSTs it; a retryable failure puts it back in front. */
  private async sendBatch(): Promise<Outcome> {
    const { batchMaxRecords, batchMaxBytes } = this.opts;
    const batch: Encoded[] = [];
    let size = 2;
    for (let r = this.queue.peek(0); r !== undefined && batch.length < batchMaxRecords; r = this.queue.peek(0)) {
      const next = size + r.bytes + (batch.length > 0 ? 1 : 0);
      if (next > batchMaxBytes) break;
      batch.push(this.queue.shift()!);
      this.queuedBytes -= r.bytes;
      size = next;
    }
    if (batch.length === 0) return 'sent';
    this.inflight = batch;
    this.inflightBytes = size - 2 - (batch.length - 1);
    const result = await uploadBatch(this.opts.target, `[${batch.map((r) => r.json).join(',')}]`, this.abort.signal);
    this.inflight = undefined;
    this.inflightBytes = 0;
    if ('status' in result && result.status >= 200 && result.status < 300) {
      if (this.lastError !== undefined) this.log.info('decision log service reachable again', { url: displayUrl(this.opts.target.url) });
      this.lastError = undefined;
      this.counts.sent += batch.length;
      this.opts.onSent?.(batch.length);
      return 'sent';
    }
    if ('status' in result && !retryable(result.status)) {
      this.lastError = `HTTP ${result.status}`;
      this.log.warn('decision log service refused a batch; records dropped', { url: displayUrl(this.opts.target.url), status: result.status, records: batch.length });
      this.drop('rejected', batch.length);
      return 'rejected';
    }
    const error = 'status' in result ? `HTTP ${result.status}` : result.error;
    if (this.lastError === undefined) this.log.warn('decision log service unreachable; retrying with backoff', { url: displayUrl(this.opts.target.url), error });
    this.lastError = error;
    this.counts.retries++;
    this.opts.onRetry?.();
    this.queue.putBack(batch);
    this.queuedBytes += batch.reduce((n, r) => n + r.bytes, 0);
    return 'failed';
  }
}
