// Bundle lifecycle: pull the bundle from a server speaking OPA's bundle
// protocol and hand new bytes to the store. The loop runs beside request
// handling and never blocks it.
//   - GET <url> with `If-None-Match: <etag>`; 304 means unchanged.
//   - With longPollingTimeoutSeconds, every request carries `Prefer: wait=N`.
//     A server that answers a bundle with `Content-Type:
//     application/vnd.openpolicyagent.bundles` supports long polling: it holds
//     the request until the bundle changes or N seconds pass (then 304), and
//     the next request goes out at once. Otherwise: plain polling.
//   - Plain polling waits a random delay between pollingMin/MaxDelaySeconds.
//   - Errors back off exponentially from 100 ms (with jitter) up to the max delay.
//   - A bundle the store rejects keeps its ETag, so the same broken bundle is
//     not downloaded and rejected again on every poll; a changed one is.
import { createHash } from 'node:crypto';
import type { BundleServiceConfig } from '../../config/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { DEFAULT_BUNDLE_LIMITS } from '../bundle/types.js';
import type { BundleUpdater } from './file-watcher.js';
import type { ActivationResult, PolicyStore } from './policy-store.js';

export const BUNDLE_CONTENT_TYPE = 'application/vnd.openpolicyagent.bundles';

/** `policies.service` of the config, as the poller takes it. */
export type BundleServiceOptions = BundleServiceConfig;

export interface BundlePollerOptions {
  logger?: Logger;
  /** Largest bundle accepted (default: the bundle limits' maxCompressedBytes). */
  maxBytes?: number;
  /** [0, 1) source for delays and jitter (tests). */
  random?: () => number;
  /** Called after each poll with what it did (tests, bench). */
  onPoll?: (outcome: PollOutcome) => void;
}

export type PollOutcome =
  | { kind: 'not-modified'; longPoll: boolean }
  | { kind: 'bundle'; longPoll: boolean; result: ActivationResult | { result: 'rejected-again' } }
  | { kind: 'error'; reason: string; retry: number; delayMs: number };

export interface BundlePollerStatus {
  kind: 'service';
  url: string;
  running: boolean;
  etag: string | null;
  longPolling: boolean;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
}

const BACKOFF_BASE_MS = 100;

export class BundleDownloadError extends Error {}

export class BundleServicePoller implements BundleUpdater {
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private etag: string | null = null;
  private longPoll = false;
  private retry = 0;
  private rejectedDigest: string | null = null;
  private lastPollAt: string | null = null;
  private lastSuccessAt: string | null = null;
  private lastError: string | null = null;
  private readonly log: Logger;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(
    private readonly service: BundleServiceOptions,
    private readonly store: PolicyStore,
    private readonly opts: BundlePollerOptions = {},
  ) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'policy-service' });
    this.minDelayMs = (service.pollingMinDelaySeconds ?? 60) * 1000;
    this.maxDelayMs = Math.max(this.minDelayMs, (service.pollingMaxDelaySeconds ?? 120) * 1000);
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
    this.log.info('polling policy bundle service', { url: this.service.url, longPollingTimeoutSeconds: this.service.longPollingTimeoutSeconds ?? null });
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = null;
    this.abort = null;
  }

  /** Seeds the cache (the bundle the lifecycle bootstrapped from). */
  seed(etag: string | null, longPoll: boolean): void {
    this.etag = etag;
    this.longPoll = longPoll;
  }

  /** One request; activates a new bundle. Throws on transport and HTTP errors. */
  async pollOnce(signal?: AbortSignal): Promise<PollOutcome> {
    this.lastPollAt = new Date().toISOString();
    const res = await downloadBundle(this.service, { etag: this.etag, ...(signal && { signal }), ...(this.opts.maxBytes !== undefined && { maxBytes: this.opts.maxBytes }) });
    if (res.status === 304) {
      if (res.contentType !== '') this.longPoll = res.contentType === BUNDLE_CONTENT_TYPE;
      this.etag = res.etag ?? this.etag;
      return { kind: 'not-modified', longPoll: this.longPoll };
    }
    this.longPoll = res.contentType === BUNDLE_CONTENT_TYPE;
    const digest = createHash('sha256').update(res.bytes).digest('hex');
    if (digest === this.rejectedDigest) {
      this.etag = res.etag;
      return { kind: 'bundle', longPoll: this.longPoll, result: { result: 'rejected-again' } };
    }
    const result = await this.store.activate({ bytes: res.bytes, source: `service:${this.service.url}` });
    this.rejectedDigest = result.result === 'rejected' ? digest : null;
    this.etag = res.etag;
    if (result.result === 'rejected') this.lastError = `bundle rejected: ${result.reason}`;
    return { kind: 'bundle', longPoll: this.longPoll, result };
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let delayMs: number;
      try {
        const outcome = await this.pollOnce(signal);
        this.retry = 0;
        this.lastSuccessAt = new Date().toISOString();
        if (outcome.kind === 'not-modified' || (outcome.kind === 'bundle' && outcome.result.result !== 'rejected' && outcome.result.result !== 'rejected-again')) {
          this.lastError = null;
        }
        this.opts.onPoll?.(outcome);
        delayMs = this.longPoll && this.service.longPollingTimeoutSeconds !== undefined ? 0 : this.pollingDelay();
      } catch (err) {
        if (signal.aborted) break;
        const reason = err instanceof Error ? err.message : String(err);
        this.etag = null; // as OPA: after an error, ask for the bundle afresh
        delayMs = this.backoff(this.retry);
        this.retry++;
        this.lastError = reason;
        this.log.warn('policy bundle download failed; the active policy stays', { url: this.service.url, reason, retry: this.retry, delayMs });
        this.opts.onPoll?.({ kind: 'error', reason, retry: this.retry, delayMs });
      }
      await sleep(delayMs, signal);
    }
  }

  private pollingDelay(): number {
    return this.minDelayMs + (this.maxDelayMs - this.minDelayMs) * this.random();
  }

  /** Exponential from 100 ms, jittered by ±20 %, capped at the max polling delay. */
  backoff(retry: number): number {
    const raw = Math.min(this.maxDelayMs, BACKOFF_BASE_MS * 2 ** Math.min(retry, 30));
    return Math.min(this.maxDelayMs, raw * (0.8 + 0.4 * this.random()));
  }

  status(): BundlePollerStatus {
    return {
      kind: 'service',
      url: this.service.url,
      running: this.loop !== null,
      etag: this.etag,
      longPolling: this.longPoll,
      lastPollAt: this.lastPollAt,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError,
      consecutiveFailures: this.retry,
    };
  }
}

export type DownloadResult =
  | { status: 304; etag: string | null; contentType: string }
  | { status: 200; etag: string | null; contentType: string; bytes: Uint8Array };

/**
 * One GET of the bundle, as OPA's downloader does it. Throws BundleDownloadError
 * on transport errors, statuses other than 200/304, and oversized bodies.
 */
export async function downloadBundle(
  service: BundleServiceOptions,
  opts: { etag?: string | null; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<DownloadResult> {
  const headers: Record<string, string> = { ...service.headers, Accept: `${BUNDLE_CONTENT_TYPE}, application/gzip;q=0.9, */*;q=0.1` };
  if (opts.etag) headers['If-None-Match'] = opts.etag;
  const wait = service.longPollingTimeoutSeconds;
  if (wait !== undefined) headers.Prefer = `wait=${Math.ceil(wait)}`;
  // A long poll may be held `wait` seconds: give it that on top of the plain timeout.
  const timeout = AbortSignal.timeout(((wait ?? 0) + (service.timeoutSeconds ?? 30)) * 1000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;

  let res: Response;
  try {
    res = await fetch(service.url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    throw new BundleDownloadError(`request failed: ${errorText(err)}`);
  }
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const etag = res.headers.get('etag');
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 304, etag, contentType };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new BundleDownloadError(`server replied with HTTP ${res.status}`);
  }
  const max = opts.maxBytes ?? DEFAULT_BUNDLE_LIMITS.maxCompressedBytes;
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new BundleDownloadError(`bundle is ${declared} bytes, over the ${max} byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) throw new BundleDownloadError(`bundle is over the ${max} byte limit`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BundleDownloadError) throw err;
    throw new BundleDownloadError(`download failed: ${signal.aborted ? 'timed out or stopped' : errorText(err)}`);
  }
  return { status: 200, etag, contentType, bytes: Buffer.concat(chunks) };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
  return String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
