// Short positive cache for opaque-token validations. Keyed by SHA-256 of the
// token, never the token itself, so a heap dump holds no usable credential.
// Only successes are cached: a refused token is asked about again.

import { createHash } from 'node:crypto';

const MAX_ENTRIES = 10_000;

export class TokenCache<V> {
  readonly #ttlMs: number;
  readonly #now: () => Date;
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(ttlSeconds: number, now: () => Date) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#now = now;
  }

  static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(token: string): V | undefined {
    const key = TokenCache.key(token);
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.until <= this.#now().getTime()) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Caches `value` for the TTL, or until `expiresAtSeconds` (the token's exp) if that is sooner. */
  set(token: string, value: V, expiresAtSeconds?: number): void {
    if (this.#ttlMs <= 0) return;
    let until = this.#now().getTime() + this.#ttlMs;
    if (expiresAtSeconds !== undefined) until = Math.min(until, expiresAtSeconds * 1000);
    if (this.#entries.size >= MAX_ENTRIES) {
      // Map keeps insertion order: drop the oldest entry.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(TokenCache.key(token), { value, until });
  }
}
