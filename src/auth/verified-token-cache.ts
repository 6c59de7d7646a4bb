// Tokens already verified, so a session's every request does not pay the
// signature check again (HS256 through WebCrypto is a thread-pool hop per
// request; RS/ES cost more). Keyed by the SHA-256 of the token, never the
// token itself; an entry holds the principal its claims gave and is good
// only until the token's `exp` (with the clock tolerance, as verification
// itself allows). What the cache does not hold is checked on every request
// by the caller: revocation of the `jti`.
import { createHash } from 'node:crypto';
import type { Principal } from '../hub/types.js';

/** Tokens kept at most; the one verified longest ago leaves first. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface Entry {
  /** The principal as JSON text: every get parses a fresh copy. */
  principal: string;
  /** Last second the token is accepted (exp + clockTolerance, exclusive). */
  expiresAt: number;
}

export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number = VERIFIED_TOKEN_CACHE_SIZE,
    private readonly clockTolerance = 0,
  ) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The principal of a token verified before and not expired at `nowSeconds`, as a copy the caller may change. */
  get(key: string, nowSeconds: number): Principal | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (nowSeconds >= e.expiresAt) {
      this.#entries.delete(key); // expired: the caller verifies it again, which refuses it
      return undefined;
    }
    return JSON.parse(e.principal) as Principal;
  }

  /** After a full verification: kept while its `exp` (a number: verification requires it) holds. */
  set(key: string, principal: Principal): void {
    const exp = principal.claims.exp;
    if (this.maxEntries <= 0 || typeof exp !== 'number') return;
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    // Kept as its JSON (a principal is a JWT's or an introspection answer's JSON): each hit is a fresh deep copy
    // from one JSON.parse, several times cheaper than a structured clone.
    this.#entries.set(key, { principal: JSON.stringify(principal), expiresAt: exp + this.clockTolerance });
  }

  get size(): number {
    return this.#entries.size;
  }
}
