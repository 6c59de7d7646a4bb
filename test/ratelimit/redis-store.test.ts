import { Redis } from 'ioredis';
import { enforceLimits, RedisStore, type HitAllResult, type RateLimit, type RateLimitLogger } from '../../src/ratelimit/index.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { exactnessViolations, startRedis, until, type RedisServer } from './helpers.js';

const T0 = 1_700_000_000_000;
const W = 60_000;

let server: RedisServer;
let admin: Redis;
const stores: RedisStore[] = [];

function store(opts: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}): RedisStore {
  const s = new RedisStore({ url: server.url, ...opts });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
});
// Clients close before the processes go (this afterAll is registered first).
afterAll(async () => {
  for (const s of stores) await s.close();
  await admin.quit().catch(() => undefined);
  admin.disconnect();
  await server.kill();
});
useProcessCleanup();

describe('RedisStore: exact sliding window (caller clock)', () => {
  it('refuses a second full burst just across a fixed-window boundary', async () => {
    const s = store({ clock: 'caller' });
    await s.ready();
    const burst = async (at: number, n: number) => {
      let k = 0;
      for (let i = 0; i < n; i++) if ((await s.hit('edge', W, 10, at)).allowed) k++;
      return k;
    };
    expect(await burst(T0 + W - 1, 10)).toBe(10);
    expect(await burst(T0 + W, 10)).toBe(0);
    expect(await burst(T0 + 2 * W - 2, 10)).toBe(0);
    expect(await burst(T0 + 2 * W - 1, 20)).toBe(10);
  });

  it('gives the same numbers as the memory store', async () => {
    const s = store({ clock: 'caller' });
    await s.ready();
    for (let i = 0; i < 3; i++) await s.hit('num', 1000, 3, T0 + i * 100);
    expect(await s.hit('num', 1000, 3, T0 + 999)).toEqual({ allowed: false, count: 3, remaining: 0, resetMs: T0 + 1200, retryAfterMs: 1 });
    expect(await s.hit('num', 1000, 3, T0 + 1000)).toEqual({ allowed: true, count: 3, remaining: 0, resetMs: T0 + 2000, retryAfterMs: 0 });
    expect(await s.hit('zero', 1000, 0, T0)).toEqual({ allowed: false, count: 0, remaining: 0, resetMs: T0, retryAfterMs: 1000 });
  });

  it('random arrivals never exceed max in any window', async () => {
    const s = store({ clock: 'caller' });
    await s.ready();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const times = Array.from({ length: 400 }, () => T0 + Math.floor(rnd() * 5000)).sort((a, b) => a - b);
    const admits: number[] = [];
    for (const t of times) if ((await s.hit('rand', 700, 4, t)).allowed) admits.push(t);
    expect(exactnessViolations(admits, 700, 4)).toEqual([]);
    expect(admits.length).toBeGreaterThan(0);
  });

  it('several limits in one script: a refusal charges none; dry runs charge nothing', async () => {
    const s = store({ clock: 'caller' });
    await s.ready();
    const ls: RateLimit[] = [
      { name: 'global', key: 'multi:global', windowMs: W, max: 5 },
      { name: 'tools', key: 'multi:tools', windowMs: W, max: 2 },
    ];
    expect((await s.hitAll(ls, T0, { dryRun: true })).allowed).toBe(true);
    expect(await admin.zcard('hatago:rl:multi:global')).toBe(0);
    expect((await s.hitAll(ls, T0)).allowed).toBe(true);
    expect((await s.hitAll(ls, T0)).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect((await s.hitAll(ls, T0 + 1)).allowed).toBe(false);
    expect(await admin.zcard('hatago:rl:multi:global')).toBe(2);
    expect(await admin.zcard('hatago:rl:multi:tools')).toBe(2);
    // Keys are namespaced and expire with their window.
    const ttl = await admin.pttl('hatago:rl:multi:tools');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(W);
  });
});

describe('RedisStore: two hubs share one budget (server clock)', () => {
  it('two clients admit no more than max together', async () => {
    const a = store();
    const b = store();
    await Promise.all([a.ready(), b.ready()]);
    const l: RateLimit[] = [{ name: 'shared', key: 'shared:user:alice', windowMs: W, max: 25 }];
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).hitAll(l, 0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(25);
    expect(a.stats().admitted + b.stats().admitted).toBe(25);
    expect(a.stats().rejected + b.stats().rejected).toBe(75);
    expect(await admin.zcard('hatago:rl:shared:user:alice')).toBe(25);
    // The server clock decided: reset is about a window from Redis's now.
    const [sec] = await admin.time();
    const refused = await a.hitAll(l, 0);
    expect(Math.abs(refused.nowMs - Number(sec) * 1000)).toBeLessThan(5000);
    expect(refused.results[0]!.resetMs).toBeGreaterThan(refused.nowMs);
  });

  it('enforceLimits over Redis gives the 429 outcome', async () => {
    const a = store({ clock: 'caller' });
    await a.ready();
    const l: RateLimit[] = [{ name: 'one', key: 'enf:one', windowMs: W, max: 1 }];
    expect((await enforceLimits(a, l, T0)).allowed).toBe(true);
    const o = await enforceLimits(a, l, T0 + 30_000);
    expect(o.error!.code).toBe('ERR_RATE_LIMITED');
    expect(o.headers).toEqual({
      'X-RateLimit-Limit': '1',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String((T0 + W) / 1000),
      'Retry-After': '30',
      'X-RateLimit-RetryAfter': '30',
    });
  });
});

describe.each([true, false])('Redis killed and restarted under load (failOpen %s)', (failOpen) => {
  it('every check returns, unavailability follows failOpen, and counting resumes in Redis', async () => {
    const logs: { level: string; message: string }[] = [];
    const logger: RateLimitLogger = {
      info: (message) => logs.push({ level: 'info', message }),
      warn: (message) => logs.push({ level: 'warn', message }),
    };
    const s = store({ failOpen, logger, commandTimeoutMs: 300 });
    await s.ready();
    const key = `restart:${failOpen}`;
    const l: RateLimit[] = [{ name: 'r', key, windowMs: W, max: 1_000_000 }];

    // Load: 8 workers checking back to back until told to stop.
    const seen: HitAllResult[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        seen.push(await s.hitAll(l, 0));
        await new Promise((r) => setImmediate(r));
      }
    };
    const workers = Array.from({ length: 8 }, worker);

    await until(() => seen.filter((r) => !r.unavailable).length >= 50, 'checks before the kill');
    await server.kill();
    await until(() => seen.filter((r) => r.unavailable).length >= 50, 'checks while Redis is down');
    expect(s.stats().connected).toBe(false);

    server = await startRedis(server.port);
    await until(() => s.stats().connected, 'the store reconnecting by itself');
    const before = seen.length;
    await until(() => seen.slice(before).filter((r) => !r.unavailable).length >= 50, 'checks after the restart');
    stop = true;
    await Promise.all(workers); // every check returned: no hang

    const down = seen.filter((r) => r.unavailable);
    expect(down.every((r) => r.allowed === failOpen && r.results.length === 0)).toBe(true);
    const st = s.stats();
    expect(st.unavailable).toBe(down.length);
    expect(failOpen ? st.failOpenAdmits : st.failClosedDenies).toBe(down.length);
    expect(failOpen ? st.failClosedDenies : st.failOpenAdmits).toBe(0);
    // The restarted Redis (no persistence) counts exactly the admits made since.
    const after = seen.slice(seen.findIndex((r, i) => i > seen.indexOf(down[down.length - 1]!) && !r.unavailable));
    expect(after.every((r) => !r.unavailable && r.allowed)).toBe(true);
    expect(await admin.zcard(`hatago:rl:${key}`)).toBe(after.length);
    expect(after[after.length - 1]!.results[0]!.count).toBe(after.length);
    // One warning when it went away, one note when it came back.
    expect(logs.map((x) => x.level)).toEqual(['warn', 'info']);

    // The refusal as the client sees it.
    if (!failOpen) {
      await server.kill();
      await until(() => !s.stats().connected, 'the store noticing');
      const o = await enforceLimits(s, l, 0);
      expect(o.error!.code).toBe('ERR_RATE_LIMIT_UNAVAILABLE');
      expect(o.error!.status).toBe(503);
      expect(o.headers).toEqual({});
      server = await startRedis(server.port);
      await until(() => s.stats().connected, 'the store reconnecting');
    }
  });
});
