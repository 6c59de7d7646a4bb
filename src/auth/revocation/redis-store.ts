// Revocations shared by every hub pointing at one Redis: `SET key 1 PX ttl NX`
// (atomic: only the first revoker gets OK) and `EXISTS key`. Commands never
// queue or wait for a reconnect: an unreachable Redis is an immediate
// ERR_REVOCATION_UNAVAILABLE, and verification fails closed on it.

import type { Redis, RedisOptions } from 'ioredis';
import { HatagoError } from '../../errors/index.js';
import { createRedisClient, whenConnected } from '../../util/redis-client.js';
import type { RevokedTokenStore } from './types.js';

export interface RedisRevokedTokenStoreOptions {
  /** `redis://host:port[/db]` or `rediss://...`. */
  url: string;
  /** Key prefix. Default `hatago:revoked:`. */
  prefix?: string;
  /** A command with no answer after this many ms fails. Default 500. */
  commandTimeoutMs?: number;
  /** Clock in epoch ms for the TTL. */
  now?: () => number;
  redisOptions?: RedisOptions;
}

export class RedisRevokedTokenStore implements RevokedTokenStore {
  readonly redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #waitMs: number;

  constructor(opts: RedisRevokedTokenStoreOptions) {
    this.#prefix = opts.prefix ?? 'hatago:revoked:';
    this.#now = opts.now ?? Date.now;
    this.#waitMs = opts.commandTimeoutMs ?? 500;
    this.redis = createRedisClient(opts);
    // ioredis reconnects by itself; without a listener an error event would crash the process.
    this.redis.on('error', () => undefined);
  }

  async revoke(jti: string, expiresAtMs: number): Promise<boolean> {
    // At least 1 ms: an already-expired token needs no entry, but SET refuses PX 0.
    const ttl = Math.max(1, Math.ceil(expiresAtMs - this.#now()));
    const reply = await this.#run(() => this.redis.set(this.#prefix + jti, '1', 'PX', ttl, 'NX'));
    return reply === 'OK';
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.#run(() => this.redis.exists(this.#prefix + jti))) === 1;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  async #run<T>(cmd: () => Promise<T>): Promise<T> {
    try {
      await whenConnected(this.redis, this.#waitMs);
      return await cmd();
    } catch (cause) {
      throw new HatagoError('ERR_REVOCATION_UNAVAILABLE', { detail: `redis: ${(cause as Error).message}`, cause });
    }
  }
}
