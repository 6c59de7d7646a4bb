import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

// ioredis (CommonJS) is required on first use: a hub with no Redis store never loads it at start-up.
const requireModule = createRequire(import.meta.url);
let RedisClass: typeof Redis | undefined;

// The ioredis client behind every Redis store (rate-limit counters, revoked
// tokens). Commands never queue or replay: a command either reaches Redis now
// or fails now, and one with no answer fails after `commandTimeoutMs`.

export interface RedisClientOptions {
  /** `redis://host:port[/db]` or `rediss://...`. */
  url: string;
  /** A command with no answer after this many ms fails. Default 500. */
  commandTimeoutMs?: number;
  /** Extra ioredis options (the safety options below win). */
  redisOptions?: RedisOptions;
}

export function createRedisClient(opts: RedisClientOptions): Redis {
  RedisClass ??= (requireModule('ioredis') as { Redis: typeof Redis }).Redis;
  return new RedisClass(opts.url, {
    connectTimeout: 2000,
    ...opts.redisOptions,
    // Never queue or replay: a command either reaches Redis now or fails now.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    // Reconnect forever, backing off to one attempt per second.
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  });
}

/**
 * Resolves once `client` is connected, or after `waitMs` (start-up, or a
 * reconnect in progress): a command then waits for the connection, bounded,
 * instead of failing at once because commands never queue.
 */
export function whenConnected(client: Redis, waitMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    timer.unref();
    client.once('ready', done);
  });
}
