import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HatagoError, toJsonRpcError } from '../../src/errors/index.js';
import { applyRateLimitHeaders, enforceLimits, MemoryStore, type RateLimit, type RateLimitOutcome } from '../../src/ratelimit/index.js';

const T0 = 1_700_000_000_000; // a whole second
const W = 60_000;

const global: RateLimit = { name: 'global', key: 'global:ip:10.0.0.1', windowMs: W, max: 10 };
const perUser: RateLimit = { name: 'per-user', key: 'per-user:user:alice', windowMs: W, max: 3 };

describe('enforceLimits', () => {
  it('no limits: admitted, no headers', async () => {
    expect(await enforceLimits(new MemoryStore(), [], T0)).toEqual({ allowed: true, headers: {}, unavailable: false, results: [] });
  });

  it('admits with the headers of the limit with the fewest remaining', async () => {
    const store = new MemoryStore();
    const o = await enforceLimits(store, [global, perUser], T0 + 500);
    expect(o.allowed).toBe(true);
    expect(o.limit).toBe(perUser);
    expect(o.error).toBeUndefined();
    expect(o.headers).toEqual({
      'X-RateLimit-Limit': '3',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': String((T0 + 500 + W) / 1000 + 0.5),
    });
  });

  it('refuses with 429 data, Retry-After and X-RateLimit-RetryAfter, and charges nothing', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 3; i++) expect((await enforceLimits(store, [global, perUser], T0 + i * 1000)).allowed).toBe(true);
    const o = await enforceLimits(store, [global, perUser], T0 + 10_500);
    expect(o.allowed).toBe(false);
    expect(o.limit).toBe(perUser);
    // The first admit (T0) leaves the window at T0 + 60 s: 49.5 s from now, rounded up.
    expect(o.headers).toEqual({
      'X-RateLimit-Limit': '3',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String((T0 + 2000 + W) / 1000),
      'Retry-After': '50',
      'X-RateLimit-RetryAfter': '50',
    });
    expect(o.error).toBeInstanceOf(HatagoError);
    expect(o.error!.code).toBe('ERR_RATE_LIMITED');
    expect(o.error!.status).toBe(429);
    expect(o.error!.rpcCode).toBe(-32029);
    expect(o.error!.data).toEqual({ limit: 'per-user', retryAfter: 50 });
    expect(toJsonRpcError(o.error, 7)).toEqual({
      status: 429,
      body: { jsonrpc: '2.0', id: 7, error: { code: -32029, message: 'Rate limit exceeded', data: { code: 'ERR_RATE_LIMITED', limit: 'per-user', retryAfter: 50 } } },
    });
    expect(o.results[0]!.count).toBe(3); // global was not charged by the refusal
  });

  it('when several limits refuse, names the one that frees up last', async () => {
    const store = new MemoryStore();
    const short: RateLimit = { name: 'short', key: 's', windowMs: 1000, max: 1 };
    const long: RateLimit = { name: 'long', key: 'l', windowMs: 10_000, max: 1 };
    await enforceLimits(store, [short, long], T0);
    const o = await enforceLimits(store, [short, long], T0 + 1);
    expect(o.error!.data).toEqual({ limit: 'long', retryAfter: 10 });
  });

  it('Retry-After is at least one second', async () => {
    const store = new MemoryStore();
    const l: RateLimit = { name: 'x', key: 'x', windowMs: 1000, max: 1 };
    await enforceLimits(store, [l], T0);
    const o = await enforceLimits(store, [l], T0 + 999);
    expect(o.headers['Retry-After']).toBe('1');
  });
});

describe('applyRateLimitHeaders', () => {
  let server: Server;
  let outcome: RateLimitOutcome;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      applyRateLimitHeaders(res, outcome);
      res.statusCode = outcome.error ? outcome.error.status : 200;
      res.end();
      applyRateLimitHeaders(res, outcome); // after sending: ignored, no throw
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sets the headers on a node response', async () => {
    const store = new MemoryStore();
    const l: RateLimit = { name: 'x', key: 'x', windowMs: W, max: 1 };
    await enforceLimits(store, [l], T0);
    outcome = await enforceLimits(store, [l], T0 + 1000);
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.status).toBe(429);
    expect(res.headers.get('x-ratelimit-limit')).toBe('1');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe(String((T0 + W) / 1000));
    expect(res.headers.get('retry-after')).toBe('59');
    expect(res.headers.get('x-ratelimit-retryafter')).toBe('59');
  });
});
