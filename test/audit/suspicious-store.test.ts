// The suspicious-activity state behind its one interface, memory and a real
// redis-server: two monitors on one Redis (two replicas) see one burst, raise
// it once, and both enforce a block set through either.
import { SuspiciousActivityMonitor } from '../../src/audit/suspicious-monitor.js';
import { MemorySuspiciousStore } from '../../src/audit/suspicious/memory-store.js';
import { RedisSuspiciousStore } from '../../src/audit/suspicious/redis-store.js';
import type { SuspiciousStore } from '../../src/audit/suspicious/store.js';
import type { SecurityEvent } from '../../src/pipeline/security-events.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { packagePath } from '../../src/util/package-root.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../ratelimit/helpers.js';

useProcessCleanup();

const BUNDLE = packagePath('policies', 'bundle', 'hatago.tar.gz');
const T0 = 1_700_000_000_000;

let redis: RedisServer;
const open: SuspiciousStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await redis.kill();
});

let prefixSeq = 0;
/** Stores of one kind sharing state: the same memory store twice, or two clients of one Redis with one prefix. */
function pair(kind: 'memory' | 'redis'): [SuspiciousStore, SuspiciousStore] {
  if (kind === 'memory') {
    const m = new MemorySuspiciousStore();
    open.push(m);
    return [m, m];
  }
  const prefix = `test:${prefixSeq++}:`;
  const a = new RedisSuspiciousStore({ url: redis.url, prefix });
  const b = new RedisSuspiciousStore({ url: redis.url, prefix });
  open.push(a, b);
  return [a, b];
}

describe.each(['memory', 'redis'] as const)('SuspiciousStore (%s)', (kind) => {
  it('counts both kinds in a sliding window, per key', async () => {
    const [a, b] = pair(kind);
    expect(await a.record('authFailures', ['ip:1', 'user:u'], T0, 1000)).toEqual([{ auth_failures: 1, denials: 0 }, { auth_failures: 1, denials: 0 }]);
    expect(await b.record('denials', ['ip:1'], T0 + 10, 1000)).toEqual([{ auth_failures: 1, denials: 1 }]);
    expect(await a.record('authFailures', ['ip:1'], T0 + 500, 1000)).toEqual([{ auth_failures: 2, denials: 1 }]);
    expect(await b.counts(['ip:1', 'ip:2'], T0 + 1005, 1000)).toEqual([{ auth_failures: 1, denials: 1 }, null]);
  });

  it('lets exactly one caller raise per cooldown, and again once the burst is cleared', async () => {
    const [a, b] = pair(kind);
    const claims = await Promise.all([a.claimRaise('ip:1', T0, 60_000), b.claimRaise('ip:1', T0, 60_000)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await a.claimRaise('ip:1', T0 + 1, 60_000)).toBe(false);
    await b.clearRaise('ip:1');
    expect(await a.claimRaise('ip:1', T0 + 2, 60_000)).toBe(true);
  });

  it('keeps the later end of a block and reports the previous one', async () => {
    const [a, b] = pair(kind);
    const until = Date.now() + 60_000; // Redis expires the key at this wall-clock time
    expect(await a.block('10.0.0.9', until)).toBe(0);
    expect(await b.block('10.0.0.9', until - 1000)).toBe(until);
    expect(await b.blockedUntil(['10.0.0.9', '10.0.0.8'])).toEqual([until, 0]);
  });
});

describe('two monitors on one Redis (two replicas)', () => {
  it('count one burst spread over both, raise it once, and both enforce the block', async () => {
    const engine = await PolicyEngine.load(BUNDLE, { runtimeData: { suspicious: { authFailures: 4, denials: 0, windowMs: 10_000, cooldownMs: 60_000, block: { authFailures: 4, durationMs: 30_000 } } } });
    const [sa, sb] = pair('redis');
    const seen: SecurityEvent[] = [];
    const sinkOf = (m: SuspiciousActivityMonitor) => m.wrap(async (e) => {
      seen.push(e);
    });
    const a = new SuspiciousActivityMonitor({ current: () => engine }, { store: sa });
    const b = new SuspiciousActivityMonitor({ current: () => engine }, { store: sb });
    const [toA, toB] = [sinkOf(a), sinkOf(b)];
    // Two failures on each replica: neither alone reaches 4.
    await toA({ event: 'authentication_failure', ip: '10.0.0.1' });
    await toB({ event: 'authentication_failure', ip: '10.0.0.1' });
    await toA({ event: 'authentication_failure', ip: '10.0.0.1' });
    expect(seen.filter((e) => e.event === 'suspicious_activity')).toHaveLength(0);
    await toB({ event: 'authentication_failure', ip: '10.0.0.1' });
    const raised = seen.filter((e) => e.event === 'suspicious_activity');
    expect(raised.map((e) => e.metadata?.action ?? 'raised')).toEqual(['raised', 'blocked']);
    expect(raised[0]).toMatchObject({ ip: '10.0.0.1', metadata: { scope: 'ip', counts: { failures: 4 } } });
    // More failures on the other replica: no second event for the same burst or block.
    await toA({ event: 'authentication_failure', ip: '10.0.0.1' });
    expect(seen.filter((e) => e.event === 'suspicious_activity')).toHaveLength(2);
    for (const m of [a, b]) {
      const seenBy = await m.addresses(['10.0.0.1', '10.0.0.2']);
      expect(Object.keys(seenBy)).toEqual(['10.0.0.1']);
      expect(seenBy['10.0.0.1']!.blocked_until_ns).toBeGreaterThan(Date.now() * 1e6);
      expect(seenBy['10.0.0.1']!.auth_failures).toBe(5);
    }
  });

  it('keep enforcing what they saw themselves while Redis is away', async () => {
    const other = await startRedis();
    const store = new RedisSuspiciousStore({ url: other.url });
    open.push(store);
    const until = Date.now() + 60_000;
    await store.block('10.0.0.7', until);
    await other.kill();
    expect(await store.blockedUntil(['10.0.0.7'])).toEqual([until]);
    expect(await store.record('authFailures', ['ip:10.0.0.7'], Date.now(), 10_000)).toEqual([{ auth_failures: 1, denials: 0 }]);
  });
});
