// The guide's AuthenticationManager. `new AuthenticationManager(opts)`
// checks the options at once and reads the keys on first use (synchronously,
// once); `AuthenticationManager.create(opts)` does both up front, so a bad key
// file fails start-up. After that every call is pure CPU work on the keys.

import type { Principal } from '../hub/types.js';
import { bearerFromHeader } from './bearer.js';
import { loadKeyRingSync, type KeyRing } from './keys.js';
import { resolveAuthOptions, type AuthenticationOptions, type ResolvedAuthOptions } from './options.js';
import { signToken, type SignOptions, type TokenClaims } from './sign-token.js';
import { verifyToken } from './verify-token.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { tokenRejected } from './errors.js';
import type { RevokedTokenStore } from './revocation/types.js';
import { createResourceServer, type OAuth2ResourceServer } from './oauth2/index.js';

/** A verified token, with what stage "token" of the policy needs to judge it (docs/policy-contract.md). */
export interface VerifiedCaller {
  principal: Principal;
  token: { type: 'jwt' | 'oauth2'; scopesKnown: boolean };
}

export interface AuthenticationDeps {
  /** Store of revoked `jti`s, asked by verifyToken and tokenStatus. */
  revoked?: RevokedTokenStore;
  /** Verified tokens kept (by hash, until exp); 0 verifies every request anew. Default VERIFIED_TOKEN_CACHE_SIZE. */
  verifiedTokenCacheSize?: number;
}

export class AuthenticationManager {
  readonly #opts: ResolvedAuthOptions;
  #keys: KeyRing | undefined;
  readonly #revoked: RevokedTokenStore | undefined;
  /** Tokens this manager verified, until their exp (jwt only; revocation is still asked per request). */
  #verified: VerifiedTokenCache | undefined;
  /** type "oauth2": tokens come from the provider and are validated by it (docs/oauth2.md). */
  readonly #oauth2: OAuth2ResourceServer | undefined;

  /**
   * Resolves options against HATAGO_AUTH_* (throws ERR_CONFIG_INVALID for bad
   * options); the keys are read on first use and a bad key throws there.
   */
  constructor(opts: AuthenticationOptions = {}, deps: AuthenticationDeps = {}) {
    if (opts.type === 'oauth2') {
      this.#revoked = undefined; // the provider owns its tokens' revocation
      // A manager that verifies provider tokens and signs none (it holds no key).
      const rs = createResourceServer(opts);
      const o = rs.options;
      this.#oauth2 = rs;
      this.#opts = { enabled: opts.enabled ?? true, expiresInSeconds: 0, clockTolerance: o.clockTolerance, maxTokenBytes: o.maxTokenBytes, now: o.now };
      this.#keys = { algorithms: o.algorithms, verify: new Map() };
      return;
    }
    this.#revoked = deps.revoked;
    this.#opts = resolveAuthOptions(opts);
    this.#verified = new VerifiedTokenCache(deps.verifiedTokenCacheSize, this.#opts.clockTolerance);
  }

  /** Like the constructor, but reads and checks the keys now. Rejects with ERR_CONFIG_INVALID. */
  static async create(opts: AuthenticationOptions = {}, deps: AuthenticationDeps = {}): Promise<AuthenticationManager> {
    const m = new AuthenticationManager(opts, deps);
    m.#ring();
    return m;
  }

  #ring(): KeyRing {
    this.#keys ??= loadKeyRingSync(this.#opts);
    return this.#keys;
  }

  /** The OAuth 2.0 resource server (type "oauth2"), for the RFC 9728 metadata route. */
  get resourceServer(): OAuth2ResourceServer | undefined {
    return this.#oauth2;
  }

  /** Verified tokens held by the cache (by hash, until their exp). */
  get cachedTokens(): number {
    return this.#verified?.size ?? 0;
  }

  /** Whether requests must carry a token. */
  get enabled(): boolean {
    return this.#opts.enabled;
  }

  /** Accepted algorithms, in order of preference. */
  get algorithms(): readonly string[] {
    return this.#ring().algorithms;
  }

  /** Lifetime of generated tokens, in seconds. */
  get expiresInSeconds(): number {
    return this.#opts.expiresInSeconds;
  }

  /** Algorithm generateToken signs with, if any key can sign. */
  get signingAlgorithm(): string | undefined {
    return this.#ring().signing?.alg;
  }

  /**
   * Signs a token for `claims` (sub required) and returns it (synchronous:
   * signing needs no I/O). Throws ERR_INVALID_PARAMS or ERR_CONFIG_INVALID.
   */
  generateToken(claims: TokenClaims, opts?: SignOptions): string {
    return signToken(
      claims,
      {
        keys: this.#ring(),
        expiresInSeconds: this.#opts.expiresInSeconds,
        now: this.#opts.now,
        ...(this.#opts.issuer !== undefined && { issuer: this.#opts.issuer }),
        ...(this.#opts.audience !== undefined && { audience: this.#opts.audience }),
      },
      opts,
    );
  }

  /**
   * Verifies `token`. Throws ERR_UNAUTHENTICATED, ERR_TOKEN_EXPIRED or
   * ERR_TOKEN_INVALID (detail `revoked` for a revoked jti), or
   * ERR_REVOCATION_UNAVAILABLE when the revocation store cannot answer
   * (fail closed: a possibly revoked token is never accepted).
   */
  async verifyToken(token: string): Promise<Principal> {
    if (this.#oauth2) return this.#oauth2.verifyToken(token);
    // A token verified before and not expired since: same principal, no signature check.
    const cache = typeof token === 'string' && token.length <= this.#opts.maxTokenBytes ? this.#verified : undefined;
    const key = cache ? VerifiedTokenCache.keyOf(token) : '';
    let principal = cache?.get(key, Math.floor(this.#opts.now().getTime() / 1000));
    if (!principal) {
      principal = await verifyToken(token, {
        keys: this.#ring(),
        clockTolerance: this.#opts.clockTolerance,
        maxTokenBytes: this.#opts.maxTokenBytes,
        now: this.#opts.now,
        ...(this.#opts.issuer !== undefined && { issuer: this.#opts.issuer }),
        ...(this.#opts.audience !== undefined && { audience: this.#opts.audience }),
      });
      cache?.set(key, principal);
    }
    // Checked only after the signature: junk tokens cost no store round trip.
    const jti = principal.claims.jti;
    if (this.#revoked && typeof jti === 'string' && (await this.#revoked.isRevoked(jti))) throw tokenRejected('revoked');
    return principal;
  }

  /**
   * Whether the token a principal was verified from still holds: past its
   * `exp` (with clockTolerance) it is expired; a revoked `jti` is revoked.
   * Rejects when the revocation store cannot answer (callers fail closed).
   */
  async tokenStatus(principal: Principal): Promise<'ok' | 'expired' | 'revoked'> {
    const { exp, jti } = principal.claims;
    const nowSec = this.#opts.now().getTime() / 1000;
    if (typeof exp === 'number' && nowSec > exp + this.#opts.clockTolerance) return 'expired';
    if (this.#revoked && typeof jti === 'string' && (await this.#revoked.isRevoked(jti))) return 'revoked';
    return 'ok';
  }

  /**
   * bearerFromHeader + verifyToken: token verification for one request. The
   * hub then asks the policy whether the token is enough (stage "token":
   * type oauth2's requiredScopes); this method alone does not.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    return (await this.authenticateCaller(authorization)).principal;
  }

  /** authenticate, plus what stage "token" needs. */
  async authenticateCaller(authorization: string | undefined): Promise<VerifiedCaller> {
    if (this.#oauth2) return oauth2Caller(await this.#oauth2.verifyHeader(authorization));
    return { principal: await this.verifyToken(bearerFromHeader(authorization)), token: JWT_TOKEN };
  }

  /** verifyToken, plus what stage "token" needs (stdio: HATAGO_AUTH_TOKEN). */
  async verifyCaller(token: string): Promise<VerifiedCaller> {
    if (this.#oauth2) return oauth2Caller(await this.#oauth2.verifyBare(token));
    return { principal: await this.verifyToken(token), token: JWT_TOKEN };
  }

  /** The challenge parameters of this hub's 401/403 answers (type oauth2: resource_metadata, scope) on `err`. */
  challenge<E>(err: E): E {
    return (this.#oauth2 ? this.#oauth2.challenge(err) : err) as E;
  }
}

/** The hub's own JWTs: their scope claim, when present, is what the token was issued with. */
const JWT_TOKEN = { type: 'jwt', scopesKnown: true } as const;

function oauth2Caller(v: { principal: Principal; scopesKnown: boolean }): VerifiedCaller {
  return { principal: v.principal, token: { type: 'oauth2', scopesKnown: v.scopesKnown } };
}
