import fc from 'fast-check';
import { MemoryStore, type RateLimit } from '../../src/ratelimit/index.js';
import { exactnessViolations } from './helpers.js';

const W = 60_000;
const T0 = 1_700_000_000_000;

async function burst(store: MemoryStore, key: string, max: number, at: number, n: number): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < n; i++) if ((await store.hit(key, W, max, at)).allowed) admitted++;
  return admitted;
}

describe('MemoryStore: exact sliding window', () => {
  it('refuses a second full burst just across a fixed-window boundary', async () => {
    const store = new MemoryStore();
    // A fixed window [T0, T0+W) then [T0+W, ...) would admit 2 x max here.
    expect(await burst(store, 'k', 10, T0 + W - 1, 10)).toBe(10);
    expect(await burst(store, 'k', 10, T0 + W, 10)).toBe(0);
    expect(await burst(store, 'k', 10, T0 + 2 * W - 2, 10)).toBe(0);
    // The burst at T0+W-1 leaves the window at T0+2W-1, all at once.
    expect(await burst(store, 'k', 10, T0 + 2 * W - 1, 20)).toBe(10);
  });

  it('frees budget one admit at a time as admits leave the window', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 3; i++) expect((await store.hit('k', 1000, 3, T0 + i * 100)).allowed).toBe(true);
    const refused = await store.hit('k', 1000, 3, T0 + 999);
    expect(refused).toEqual({ allowed: false, count: 3, remaining: 0, resetMs: T0 + 200 + 1000, retryAfterMs: 1 });
    // At T0+1000 the admit at T0 no longer counts (t - s < windowMs is in).
    expect(await store.hit('k', 1000, 3, T0 + 1000)).toEqual({ allowed: true, count: 3, remaining: 0, resetMs: T0 + 2000, retryAfterMs: 0 });
    expect((await store.hit('k', 1000, 3, T0 + 1099)).retryAfterMs).toBe(1);
    expect((await store.hit('k', 1000, 3, T0 + 1100)).allowed).toBe(true);
  });

  it('reports count, remaining and reset while admitting', async () => {
    const store = new MemoryStore();
    expect(await store.hit('k', W, 5, T0)).toEqual({ allowed: true, count: 1, remaining: 4, resetMs: T0 + W, retryAfterMs: 0 });
    expect(await store.hit('k', W, 5, T0 + 10)).toEqual({ allowed: true, count: 2, remaining: 3, resetMs: T0 + 10 + W, retryAfterMs: 0 });
  });

  it('max 0 refuses everything', async () => {
    const store = new MemoryStore();
    expect(await store.hit('k', W, 0, T0)).toEqual({ allowed: false, count: 0, remaining: 0, resetMs: T0, retryAfterMs: W });
  });

  it('never admits more than max in any window (random arrivals, checked from outside)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 1500 }), async (offsets, max, windowMs) => {
        const store = new MemoryStore({ sweepIntervalMs: 700 });
        const times = offsets.map((o) => T0 + o).sort((a, b) => a - b);
        const admits: number[] = [];
        for (const t of times) if ((await store.hit('k', windowMs, max, t)).allowed) admits.push(t);
        expect(exactnessViolations(admits, windowMs, max)).toEqual([]);
        // And it is not stricter than needed: every refusal had max admits in its window.
        for (const t of times) {
          const inWindow = admits.filter((s) => s > t - windowMs && s <= t).length;
          if (!admits.includes(t)) expect(inWindow).toBeGreaterThanOrEqual(max);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('MemoryStore: several limits for one request', () => {
  const limits = (max1: number, max2: number): RateLimit[] => [
    { name: 'global', key: 'global:ip:10.0.0.1', windowMs: W, max: max1 },
    { name: 'tool-calls', key: 'tool-calls:user:alice', windowMs: W, max: max2 },
  ];

  it('charges all limits only when all admit; a refusal consumes nothing', async () => {
    const store = new MemoryStore();
    const ls = limits(5, 2);
    expect((await store.hitAll(ls, T0)).allowed).toBe(true);
    expect((await store.hitAll(ls, T0)).allowed).toBe(true);
    for (let i = 0; i < 10; i++) {
      const r = await store.hitAll(ls, T0 + 1);
      expect(r.allowed).toBe(false);
      expect(r.results.map((x) => [x.allowed, x.count])).toEqual([
        [true, 2],
        [false, 2],
      ]);
    }
    // The refused requests did not eat the global budget: 3 left of 5.
    const global = ls[0]!;
    for (let i = 0; i < 3; i++) expect((await store.hit(global.key, W, 5, T0 + 2)).allowed).toBe(true);
    expect((await store.hit(global.key, W, 5, T0 + 2)).allowed).toBe(false);
  });

  it('a dry run decides without charging', async () => {
    const store = new MemoryStore();
    const ls = limits(1, 1);
    const dry = await store.hitAll(ls, T0, { dryRun: true });
    expect(dry.allowed).toBe(true);
    expect(dry.results.map((r) => r.remaining)).toEqual([0, 0]);
    expect((await store.hitAll(ls, T0)).allowed).toBe(true);
    expect((await store.hitAll(ls, T0, { dryRun: true })).allowed).toBe(false);
  });

  it('the same key twice in one request is charged once', async () => {
    const store = new MemoryStore();
    const l: RateLimit = { name: 'a', key: 'k', windowMs: W, max: 2 };
    expect((await store.hitAll([l, l], T0)).allowed).toBe(true);
    expect((await store.hit('k', W, 2, T0)).count).toBe(2);
  });
});

describe('MemoryStore: idle keys expire', () => {
  it('a sweep drops keys with no admit left in their window, and only those', async () => {
    const store = new MemoryStore({ sweepIntervalMs: Number.MAX_SAFE_INTEGER });
    await store.hit('short', 1000, 5, T0);
    await store.hit('long', 10_000, 5, T0);
    expect(store.stats().keys).toBe(2);
    expect(store.sweep(T0 + 999)).toBe(0);
    expect(store.sweep(T0 + 1000)).toBe(1);
    expect(store.stats().keys).toBe(1);
    expect(store.sweep(T0 + 10_000)).toBe(1);
    expect(store.stats().keys).toBe(0);
  });

  it('sweeps by itself as the checks clock advances', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 5000 });
    for (let i = 0; i < 1000; i++) await store.hit(`ip:${i}`, 1000, 5, T0);
    expect(store.stats().keys).toBe(1000);
    await store.hit('late', 1000, 5, T0 + 5000);
    expect(store.stats().keys).toBe(1);
  });

  it('holds at most maxKeys, evicting the least recently used key', async () => {
    const store = new MemoryStore({ maxKeys: 3, sweepIntervalMs: Number.MAX_SAFE_INTEGER });
    await store.hit('a', W, 5, T0);
    await store.hit('b', W, 5, T0);
    await store.hit('c', W, 5, T0);
    await store.hit('a', W, 5, T0 + 1); // a is now the most recent
    await store.hit('d', W, 5, T0 + 2); // b goes
    expect(store.stats()).toMatchObject({ keys: 3, evictions: 1 });
    expect((await store.hit('a', W, 5, T0 + 3)).count).toBe(3); // a kept its log
    expect(store.stats().evictions).toBe(1);
    expect((await store.hit('b', W, 5, T0 + 4)).count).toBe(1); // b restarts; c goes
    expect(store.stats().evictions).toBe(2);
    expect((await store.hit('d', W, 5, T0 + 5)).count).toBe(2);
  });
});
