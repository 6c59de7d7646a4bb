import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { createRedisClient } from '../util/redis-client.js';
import { noopRateLimitLogger, type HitAllOptions, type HitAllResult, type HitResult, type RateLimit, type RateLimitLogger, type RateLimitStore, type RateLimitStoreStats } from './types.js';

// An exact sliding log in Redis, shared by every hub that points at the same
// server. One sorted set per key (`hatago:rl:<key>`), scores are admit times
// in ms, members are unique per admit. One Lua script per request checks all
// of its limits and charges them only when all admit, so a refused request
// consumes nothing and two hubs never interleave a read and a write.

/**
 * KEYS: the sorted sets. ARGV: clock ("server" | "caller"), caller now (ms),
 * member, commit ("1" | "0"), then windowMs and max for each key.
 * Returns {now, allowed, then per key: count, newest score (-1: none), retryAfterMs}.
 */
export const SLIDING_LOG_LUA = `
local now
if ARGV[1] == 'server' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[2])
end
local member = ARGV[3]
local commit = ARGV[4] == '1'
local n = #KEYS
local counts = {}
local allowed = 1
for i = 1, n do
  local w = tonumber(ARGV[3 + 2 * i])
  local m = tonumber(ARGV[4 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - w)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if c >= m then allowed = 0 end
end
local out = {now, allowed}
local charged = {}
for i = 1, n do
  local w = tonumber(ARGV[3 + 2 * i])
  local m = tonumber(ARGV[4 + 2 * i])
  local c = counts[i]
  local retry = 0
  if allowed == 1 then
    if commit and not charged[KEYS[i]] then
      redis.call('ZADD', KEYS[i], now, member)
      redis.call('PEXPIRE', KEYS[i], w)
      charged[KEYS[i]] = true
    end
    c = c + 1
  elseif c >= m then
    if m > 0 then
      local e = redis.call('ZRANGE', KEYS[i], c - m, c - m, 'WITHSCORES')
      retry = tonumber(e[2]) + w - now
    else
      retry = w
    end
  end
  local newest = -1
  if allowed == 1 then
    newest = now
  elseif c > 0 then
    local e = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
    newest = tonumber(e[2])
  end
  out[#out + 1] = c
  out[#out + 1] = newest
  out[#out + 1] = retry
end
return out
`;

export interface RedisStoreOptions {
  /** `redis://host:port[/db]` or `rediss://...`. */
  url: string;
  /**
   * Whose clock decides. "server" (default): Redis TIME inside the script,
   * so every hub shares one clock and host clock skew cannot widen a window;
   * the nowMs passed to hit/hitAll is ignored. "caller": the nowMs passed
   * (tests with a controlled clock; hubs must then keep their clocks in sync).
   */
  clock?: 'server' | 'caller';
  /** Redis unreachable: true admits (counted in stats), false refuses. Default false. */
  failOpen?: boolean;
  /** A command that gets no answer in this many ms fails (no hang). Default 500. */
  commandTimeoutMs?: number;
  /** Key prefix. Default `hatago:rl:`. */
  prefix?: string;
  logger?: RateLimitLogger;
  /** Extra ioredis options (the safety options above win). */
  redisOptions?: RedisOptions;
}

export class RedisStore implements RateLimitStore {
  readonly redis: Redis;
  private readonly clock: 'server' | 'caller';
  private readonly failOpen: boolean;
  private readonly prefix: string;
  private readonly logger: RateLimitLogger;
  private readonly memberPrefix = randomBytes(6).toString('hex');
  private seq = 0;
  private connected = false;
  /** A check failed and no check has succeeded since. */
  private degraded = false;
  private lastError: string | undefined;
  private readonly counters = { checks: 0, admitted: 0, rejected: 0, unavailable: 0, failOpenAdmits: 0, failClosedDenies: 0 };

  constructor(opts: RedisStoreOptions) {
    this.clock = opts.clock ?? 'server';
    this.failOpen = opts.failOpen ?? false;
    this.prefix = opts.prefix ?? 'hatago:rl:';
    this.logger = opts.logger ?? noopRateLimitLogger;
    // Never queues or replays: a check either reaches Redis now or fails now.
    this.redis = createRedisClient(opts);
    this.redis.defineCommand('hatagoSlidingLog', { lua: SLIDING_LOG_LUA });
    this.redis.on('ready', () => {
      this.connected = true;
    });
    this.redis.on('close', () => {
      this.connected = false;
    });
    this.redis.on('error', (err: Error) => {
      // ioredis reconnects by itself; the error is only recorded here.
      this.lastError = err.message;
    });
  }

  /** Resolves once connected (start-up), or rejects after timeoutMs. */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error(`redis not ready after ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  async hit(key: string, windowMs: number, max: number, nowMs: number): Promise<HitResult> {
    const r = await this.hitAll([{ name: key, key, windowMs, max }], nowMs);
    if (r.unavailable) {
      return { allowed: r.allowed, count: 0, remaining: 0, resetMs: r.nowMs, retryAfterMs: 0 };
    }
    return r.results[0]!;
  }

  async hitAll(limits: readonly RateLimit[], nowMs: number, opts: HitAllOptions = {}): Promise<HitAllResult> {
    this.counters.checks++;
    if (limits.length === 0) {
      this.counters.admitted++;
      return { allowed: true, results: [], nowMs };
    }
    const keys = limits.map((l) => this.prefix + l.key);
    const args: (string | number)[] = [this.clock, Math.floor(nowMs), `${this.memberPrefix}:${(this.seq++).toString(36)}`, opts.dryRun ? '0' : '1'];
    for (const l of limits) args.push(Math.ceil(l.windowMs), Math.floor(l.max));
    let reply: number[];
    try {
      const run = (this.redis as unknown as { hatagoSlidingLog(n: number, ...a: (string | number)[]): Promise<number[]> }).hatagoSlidingLog;
      reply = await run.call(this.redis, keys.length, ...keys, ...args);
    } catch (err) {
      return this.unavailable(err, nowMs);
    }
    if (this.degraded) {
      this.degraded = false;
      this.logger.info('rate-limit store reachable again', { component: 'ratelimit', store: 'redis' });
    }
    const now = Number(reply[0]);
    const allowed = Number(reply[1]) === 1;
    const results: HitResult[] = limits.map((l, i) => {
      const count = Number(reply[2 + 3 * i]);
      const newest = Number(reply[3 + 3 * i]);
      const retryAfterMs = Number(reply[4 + 3 * i]);
      return {
        allowed: allowed || count < l.max,
        count,
        remaining: Math.max(0, l.max - count),
        resetMs: newest < 0 ? now : newest + l.windowMs,
        retryAfterMs,
      };
    });
    if (allowed) this.counters.admitted++;
    else this.counters.rejected++;
    return { allowed, results, nowMs: now };
  }

  stats(): RateLimitStoreStats {
    return { ...this.counters, keys: null, connected: this.connected, evictions: 0 };
  }

  /** The last connection or command error, for /health. */
  lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Quits (or, when not connected, drops the connection and stops reconnecting). */
  async close(): Promise<void> {
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => undefined);
    }
    this.redis.disconnect(false);
  }

  private unavailable(err: unknown, nowMs: number): HitAllResult {
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = message;
    this.counters.unavailable++;
    if (this.failOpen) this.counters.failOpenAdmits++;
    else this.counters.failClosedDenies++;
    if (!this.degraded) {
      this.degraded = true;
      this.logger.warn(`rate-limit store unreachable; ${this.failOpen ? 'admitting requests (failOpen)' : 'refusing requests (failOpen false)'}`, {
        component: 'ratelimit',
        store: 'redis',
        error: message,
      });
    }
    return { allowed: this.failOpen, results: [], nowMs, unavailable: true };
  }
}
