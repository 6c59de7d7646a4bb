import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../../log/logger.js';
import { createRedisClient, whenConnected } from '../../util/redis-client.js';
import { MemorySuspiciousStore, type MemorySuspiciousStoreOptions } from './memory-store.js';
import type { CountKind, SuspiciousStore, WindowCounts } from './store.js';

// The monitor's state in Redis, shared by every replica that points at the
// same server: one sorted set per key and kind (`hatago:sus:c:<kind>:<key>`,
// scores are event times in ms), `hatago:sus:raised:<key>` (SET NX PX
// cooldown: one replica raises per burst) and `hatago:sus:block:<ip>` (the
// block's end in ms, expiring with it). Counting is one Lua script per event.
//
// Redis unreachable: every write also goes to a local memory store, and a
// read that cannot reach Redis answers from it (what this replica saw
// itself), with one warning per outage. Blocks this replica set keep holding;
// the network stage never fails a request because Redis is away.

/**
 * KEYS: pairs (the recorded kind's set, the other kind's set) per key.
 * ARGV: now, windowMs, member, most entries per set.
 * Returns per key: the recorded kind's count, the other kind's count.
 */
const RECORD_LUA = `
local now = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local cap = tonumber(ARGV[4])
local out = {}
for i = 1, #KEYS, 2 do
  local k = KEYS[i]
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - w)
  redis.call('ZADD', k, now, ARGV[3])
  local c = redis.call('ZCARD', k)
  if c > cap then
    redis.call('ZREMRANGEBYRANK', k, 0, c - cap - 1)
    c = cap
  end
  redis.call('PEXPIRE', k, w)
  out[#out + 1] = c
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i + 1], '(' .. (now - w), '+inf')
end
return out
`;

/** KEYS[1]: the block key. ARGV: until (ms). Keeps the later end; returns the previous one (0: none). */
const BLOCK_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > cur then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('PEXPIREAT', KEYS[1], untilMs)
end
return cur
`;

export interface RedisSuspiciousStoreOptions extends MemorySuspiciousStoreOptions {
  /** `redis://host:port[/db]` or `rediss://...`. */
  url: string;
  /** Key prefix. Default `hatago:sus:`. */
  prefix?: string;
  /** A command with no answer after this many ms fails. Default 500. */
  commandTimeoutMs?: number;
  logger?: Logger;
}

const OTHER: Record<CountKind, CountKind> = { authFailures: 'denials', denials: 'authFailures' };

type Scripted = Redis & {
  hatagoSuspiciousRecord(n: number, ...a: (string | number)[]): Promise<number[]>;
  hatagoSuspiciousBlock(key: string, untilMs: number): Promise<number>;
};

export class RedisSuspiciousStore implements SuspiciousStore {
  readonly redis: Redis;
  private readonly local: MemorySuspiciousStore;
  private readonly prefix: string;
  private readonly maxPerKey: number;
  private readonly log: Logger;
  private readonly waitMs: number;
  private readonly memberPrefix = randomBytes(6).toString('hex');
  private seq = 0;
  private degraded = false;

  constructor(opts: RedisSuspiciousStoreOptions) {
    this.local = new MemorySuspiciousStore(opts);
    this.prefix = opts.prefix ?? 'hatago:sus:';
    this.maxPerKey = opts.maxPerKey ?? 1000;
    this.waitMs = opts.commandTimeoutMs ?? 500;
    this.log = (opts.logger ?? silentLogger).child({ component: 'suspicious' });
    this.redis = createRedisClient(opts);
    this.redis.defineCommand('hatagoSuspiciousRecord', { lua: RECORD_LUA });
    this.redis.defineCommand('hatagoSuspiciousBlock', { lua: BLOCK_LUA, numberOfKeys: 1 });
    // ioredis reconnects by itself; without a listener an error event would crash the process.
    this.redis.on('error', () => undefined);
  }

  async record(kind: CountKind, keys: readonly string[], nowMs: number, windowMs: number): Promise<WindowCounts[]> {
    const local = await this.local.record(kind, keys, nowMs, windowMs);
    if (keys.length === 0) return local;
    const redisKeys = keys.flatMap((k) => [this.countKey(kind, k), this.countKey(OTHER[kind], k)]);
    const member = `${this.memberPrefix}:${(this.seq++).toString(36)}`;
    const reply = await this.shared(() => (this.redis as Scripted).hatagoSuspiciousRecord(redisKeys.length, ...redisKeys, Math.floor(nowMs), Math.ceil(windowMs), member, this.maxPerKey));
    if (reply === undefined) return local;
    return keys.map((_, i) => {
      const mine = Number(reply[2 * i]);
      const other = Number(reply[2 * i + 1]);
      return kind === 'authFailures' ? { auth_failures: mine, denials: other } : { auth_failures: other, denials: mine };
    });
  }

  async counts(keys: readonly string[], nowMs: number, windowMs: number): Promise<(WindowCounts | null)[]> {
    if (keys.length === 0) return [];
    const from = `(${Math.floor(nowMs - windowMs)}`;
    const reply = await this.shared(async () => {
      const p = this.redis.pipeline();
      for (const k of keys) p.zcount(this.countKey('authFailures', k), from, '+inf').zcount(this.countKey('denials', k), from, '+inf');
      const results = (await p.exec()) ?? [];
      return results.map(([err, v]) => {
        if (err) throw err;
        return Number(v);
      });
    });
    if (reply === undefined) return this.local.counts(keys, nowMs, windowMs);
    return keys.map((_, i) => {
      const auth_failures = reply[2 * i]!;
      const denials = reply[2 * i + 1]!;
      return auth_failures === 0 && denials === 0 ? null : { auth_failures, denials };
    });
  }

  async claimRaise(key: string, nowMs: number, cooldownMs: number): Promise<boolean> {
    const reply = await this.shared(() => this.redis.set(this.prefix + 'raised:' + key, String(nowMs), 'PX', Math.max(1, Math.ceil(cooldownMs)), 'NX'));
    const localClaim = await this.local.claimRaise(key, nowMs, cooldownMs);
    return reply === undefined ? localClaim : reply === 'OK';
  }

  async clearRaise(key: string): Promise<void> {
    await this.local.clearRaise(key);
    await this.shared(() => this.redis.del(this.prefix + 'raised:' + key));
  }

  async block(ip: string, untilMs: number): Promise<number> {
    const localBefore = await this.local.block(ip, untilMs);
    const reply = await this.shared(() => (this.redis as Scripted).hatagoSuspiciousBlock(this.blockKey(ip), Math.ceil(untilMs)));
    return reply === undefined ? localBefore : Number(reply);
  }

  async blockedUntil(ips: readonly string[]): Promise<number[]> {
    if (ips.length === 0) return [];
    const reply = await this.shared(() => this.redis.mget(...ips.map((ip) => this.blockKey(ip))));
    const local = await this.local.blockedUntil(ips);
    // A block this replica set is enforced even if Redis lost it (restart without persistence).
    return reply === undefined ? local : ips.map((_, i) => Math.max(Number(reply[i] ?? 0) || 0, local[i]!));
  }

  async close(): Promise<void> {
    await this.local.close();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect(false);
  }

  private countKey(kind: CountKind, key: string): string {
    return `${this.prefix}c:${kind}:${key}`;
  }

  private blockKey(ip: string): string {
    return `${this.prefix}block:${ip}`;
  }

  /** Runs one command; undefined when Redis cannot answer (the caller falls back to the local store). */
  private async shared<T>(cmd: () => Promise<T>): Promise<T | undefined> {
    try {
      if (!this.degraded) await whenConnected(this.redis, this.waitMs);
      const v = await cmd();
      if (this.degraded) {
        this.degraded = false;
        this.log.info('suspicious-activity store reachable again', { store: 'redis' });
      }
      return v;
    } catch (err) {
      if (!this.degraded) {
        this.degraded = true;
        this.log.warn('suspicious-activity store unreachable; each replica counts and blocks on its own until it is back', { store: 'redis', error: err instanceof Error ? err.message : String(err) });
      }
      return undefined;
    }
  }
}
