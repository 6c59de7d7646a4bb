// BundleServicePoller against a small real HTTP bundle server that speaks
// OPA's bundle protocol: ETag / If-None-Match / 304, long polling with
// `Prefer: wait=N` and `Content-Type: application/vnd.openpolicyagent.bundles`.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  BUNDLE_CONTENT_TYPE,
  BundleServicePoller,
  PolicyLifecycle,
  PolicyStore,
  type BundleServiceOptions,
  type PollOutcome,
} from '../../../src/policy/lifecycle/index.js';
import { tempDir } from '../helpers.js';
import { buildBundles, eventually, Mailbox, recordingSink, type Bundles } from './helpers.js';

const tmp = tempDir('hatago-poll-');
let bundles: Bundles;
beforeAll(() => {
  bundles = buildBundles(tmp.path);
});
afterAll(() => tmp.cleanup());

interface Seen {
  headers: IncomingHttpHeaders;
  status: number;
  /** The request was held (long poll) before it was answered. */
  held: boolean;
}

/** A bundle server: one bundle at /bundles/hatago.tar.gz, optionally long polling and failing. */
class BundleServer {
  server!: Server;
  url = '';
  bundle: Buffer;
  longPoll = false;
  failNext = 0;
  requireToken: string | null = null;
  readonly seen: Seen[] = [];
  private waiting = new Set<{ res: ServerResponse; headers: IncomingHttpHeaders; timer: NodeJS.Timeout }>();

  constructor(bundle: Buffer) {
    this.bundle = bundle;
  }

  /** Requests held right now (long polls). */
  get holding(): number {
    return this.waiting.size;
  }

  get etag(): string {
    return `"${createHash('sha256').update(this.bundle).digest('hex').slice(0, 16)}"`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url !== '/bundles/hatago.tar.gz') return this.answer(res, req.headers, 404, false);
      if (this.requireToken && req.headers.authorization !== `Bearer ${this.requireToken}`) return this.answer(res, req.headers, 401, false);
      if (this.failNext > 0) {
        this.failNext--;
        return this.answer(res, req.headers, 500, false);
      }
      if (req.headers['if-none-match'] !== this.etag) return this.answer(res, req.headers, 200, false);
      const wait = /wait=(\d+)/.exec(String(req.headers.prefer ?? ''));
      if (this.longPoll && wait) {
        // Hold until the bundle changes or the wait is over.
        const entry = { res, headers: req.headers, timer: setTimeout(() => this.release(entry, 304), Number(wait[1]) * 1000) };
        this.waiting.add(entry);
        return;
      }
      this.answer(res, req.headers, 304, false);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/bundles/hatago.tar.gz`;
  }

  /** Publishes a new bundle; held long polls get it at once. */
  publish(bundle: Buffer): void {
    this.bundle = bundle;
    for (const entry of [...this.waiting]) this.release(entry, 200);
  }

  private release(entry: { res: ServerResponse; headers: IncomingHttpHeaders; timer: NodeJS.Timeout }, status: number): void {
    clearTimeout(entry.timer);
    this.waiting.delete(entry);
    this.answer(entry.res, entry.headers, status, true);
  }

  private answer(res: ServerResponse, headers: IncomingHttpHeaders, status: number, held: boolean): void {
    this.seen.push({ headers, status, held });
    if (status === 200) {
      res.writeHead(200, { 'Content-Type': this.longPoll ? BUNDLE_CONTENT_TYPE : 'application/gzip', ETag: this.etag });
      res.end(this.bundle);
    } else if (status === 304) {
      res.writeHead(304, { ETag: this.etag });
      res.end();
    } else {
      res.writeHead(status);
      res.end();
    }
  }

  async stop(): Promise<void> {
    for (const entry of [...this.waiting]) this.release(entry, 304);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: BundleServer | undefined;
let poller: BundleServicePoller | undefined;
afterEach(async () => {
  await poller?.stop();
  await server?.stop();
  poller = undefined;
  server = undefined;
});

async function setup(opts: { longPoll?: boolean; service?: Partial<BundleServiceOptions>; first?: Buffer } = {}) {
  server = new BundleServer(bundles.r1);
  server.longPoll = opts.longPoll === true;
  await server.start();
  const { sink, events } = recordingSink();
  const store = await PolicyStore.create({ bytes: opts.first ?? bundles.r1, source: 'test' }, { runtimeData: { users: ['alice'] }, events: sink });
  const polls = new Mailbox<PollOutcome>();
  const service: BundleServiceOptions = { url: server.url, pollingMinDelaySeconds: 0.02, pollingMaxDelaySeconds: 0.05, ...opts.service };
  poller = new BundleServicePoller(service, store, { onPoll: polls.push, random: () => 0.5 });
  return { server, store, polls, events, poller };
}

const activated = (o: PollOutcome): boolean => o.kind === 'bundle' && o.result.result === 'activated';

describe('BundleServicePoller (plain polling)', () => {
  it('downloads, then sends If-None-Match and takes 304 as unchanged, then picks up a new bundle', async () => {
    const { server, store, polls, events, poller } = await setup();
    poller.start();
    expect(await polls.next()).toMatchObject({ kind: 'bundle', result: { result: 'unchanged' } }); // same bytes as the start-up bundle
    expect(await polls.next()).toMatchObject({ kind: 'not-modified', longPoll: false });
    expect(server.seen[1]!.headers['if-none-match']).toBe(server.etag);
    expect(server.seen[1]!.status).toBe(304);

    server.publish(bundles.r2);
    expect(await polls.until(activated)).toMatchObject({ result: { revision: 'r2', previousRevision: 'r1' } });
    expect(store.revision).toBe('r2');
    expect(events.map((e) => e.event)).toEqual(['policy_activated']);
    expect(poller.status()).toMatchObject({ kind: 'service', running: true, etag: server.etag, longPolling: false, consecutiveFailures: 0 });
  });

  it('sends the configured headers (a bearer token)', async () => {
    const { server, polls, poller } = await setup({ service: { headers: { Authorization: 'Bearer s3cret' } } });
    server.requireToken = 's3cret';
    server.publish(bundles.r2);
    poller.start();
    expect(await polls.next()).toMatchObject({ kind: 'bundle', result: { result: 'activated' } });
    expect(server.seen[0]!.headers.authorization).toBe('Bearer s3cret');
  });

  it('backs off exponentially on errors, keeps the active policy, and recovers', async () => {
    const { server, store, polls, poller } = await setup({ service: { pollingMaxDelaySeconds: 1 } });
    server.failNext = 3;
    server.publish(bundles.r2);
    poller.start();
    const errors = [await polls.next(), await polls.next(), await polls.next()];
    expect(errors.map((e) => e.kind)).toEqual(['error', 'error', 'error']);
    expect(errors.map((e) => (e as { retry: number }).retry)).toEqual([1, 2, 3]);
    const delays = errors.map((e) => (e as { delayMs: number }).delayMs);
    expect(delays[1]).toBe(delays[0]! * 2);
    expect(delays[2]).toBe(delays[1]! * 2);
    expect(store.revision).toBe('r1');
    expect(await polls.next()).toMatchObject({ kind: 'bundle', result: { result: 'activated', revision: 'r2' } });
    expect(poller.status().consecutiveFailures).toBe(0);
  });

  it('caps the backoff at the max polling delay', () => {
    const store = null as unknown as PolicyStore;
    const p = new BundleServicePoller({ url: 'http://127.0.0.1:9/x', pollingMinDelaySeconds: 1, pollingMaxDelaySeconds: 5 }, store, { random: () => 0.5 });
    expect([0, 1, 2, 3].map((r) => p.backoff(r))).toEqual([100, 200, 400, 800]);
    expect(p.backoff(20)).toBe(5000);
  });

  it('rejects a bad bundle from the server once, keeps the old policy, and takes the next good one', async () => {
    const { server, store, polls, events, poller } = await setup();
    server.publish(bundles.smokeFail);
    poller.start();
    expect(await polls.next()).toMatchObject({ kind: 'bundle', result: { result: 'rejected', code: 'ERR_BUNDLE_INVALID' } });
    expect(await polls.next()).toMatchObject({ kind: 'not-modified' }); // same ETag: not downloaded again
    expect(store.revision).toBe('r1');
    server.publish(bundles.r3data);
    expect(await polls.until(activated)).toMatchObject({ result: { revision: 'r3' } });
    expect(events.map((e) => e.event)).toEqual(['policy_rejected', 'policy_activated']);
  });

  it('reports a server that is down as errors, not as a policy change', async () => {
    const { server, store, polls, poller } = await setup();
    await server.stop();
    poller.start();
    expect(await polls.next()).toMatchObject({ kind: 'error', reason: expect.stringContaining('request failed') });
    expect(store.revision).toBe('r1');
    await poller.stop();
    await server.start(); // afterEach stops it again
  });
});

describe('BundleServicePoller (long polling)', () => {
  it('holds the request with Prefer: wait=N and activates the moment the server publishes', async () => {
    const { server, store, polls, poller } = await setup({ longPoll: true, service: { longPollingTimeoutSeconds: 30, pollingMinDelaySeconds: 60, pollingMaxDelaySeconds: 60 } });
    poller.start();
    expect(await polls.next()).toMatchObject({ kind: 'bundle', longPoll: true, result: { result: 'unchanged' } });
    // The next request is held by the server; publishing answers it (no 60 s polling delay in between).
    await eventually(() => server.holding > 0);
    server.publish(bundles.r2);
    expect(await polls.next()).toMatchObject({ kind: 'bundle', longPoll: true, result: { result: 'activated', revision: 'r2' } });
    const held = server.seen[1]!;
    expect(held).toMatchObject({ held: true, status: 200 });
    expect(held.headers.prefer).toBe('wait=30');
    expect(held.headers['if-none-match']).toBeDefined();
    expect(store.revision).toBe('r2');
    expect(poller.status().longPolling).toBe(true);
  });

  it('times out a long poll as 304 and asks again at once', async () => {
    const { server, polls, poller } = await setup({ longPoll: true, service: { longPollingTimeoutSeconds: 1, pollingMinDelaySeconds: 60, pollingMaxDelaySeconds: 60 } });
    poller.start();
    await polls.next(); // first download
    expect(await polls.next()).toMatchObject({ kind: 'not-modified' });
    expect(server.seen[1]).toMatchObject({ held: true, status: 304 });
    server.publish(bundles.r2);
    expect(await polls.until(activated)).toMatchObject({ result: { revision: 'r2' } });
  });

  it('falls back to plain polling when the server does not answer in kind', async () => {
    const { server, polls, poller } = await setup({ longPoll: false, service: { longPollingTimeoutSeconds: 30 } });
    poller.start();
    await polls.next();
    expect(await polls.next()).toMatchObject({ kind: 'not-modified', longPoll: false });
    expect(server.seen[1]).toMatchObject({ held: false, status: 304 });
    expect(server.seen[1]!.headers.prefer).toBe('wait=30');
  });

  it('stop() ends a held long poll', async () => {
    const { server, polls, poller } = await setup({ longPoll: true, service: { longPollingTimeoutSeconds: 30 } });
    poller.start();
    await polls.next();
    await eventually(() => server.holding > 0);
    await poller.stop();
    expect(poller.status().running).toBe(false);
    expect(server.seen.length).toBe(1);
  });
});

describe('PolicyLifecycle with a bundle service', () => {
  it('starts from the service, and from the local bundle when the service is down', async () => {
    server = new BundleServer(bundles.r2);
    await server.start();
    const local = join(tmp.path, 'local.tar.gz');
    writeFileSync(local, bundles.r1);
    const up = await PolicyLifecycle.create({ policies: { bundle: local, service: { url: server.url } }, runtimeData: {} });
    expect(up.status()).toMatchObject({ revision: 'r2', source: `service:${server.url}`, updater: { kind: 'service', etag: server.etag } });

    const down = await PolicyLifecycle.create({ policies: { bundle: local, service: { url: 'http://127.0.0.1:9/none.tar.gz', timeoutSeconds: 2 } }, runtimeData: {} });
    expect(down.status()).toMatchObject({ revision: 'r1', source: `file:${local}`, updater: { kind: 'service' } });
  });

  it('watches the local bundle when there is no service', async () => {
    const local = join(tmp.path, 'watched.tar.gz');
    writeFileSync(local, bundles.r1);
    const lc = await PolicyLifecycle.create({ policies: { bundle: local, watch: { debounceMs: 10 } } });
    lc.start();
    try {
      expect(lc.status()).toMatchObject({ revision: 'r1', updater: { kind: 'file', watching: true } });
    } finally {
      await lc.stop();
    }
    const off = await PolicyLifecycle.create({ policies: { bundle: local, watch: { enabled: false } } });
    expect(off.status().updater).toBeNull();
  });
});
