// The guide's AuthenticationManager. Keys are read and imported once, in
// `create()` (jose key import is async, so there is no public constructor);
// after that every call is pure CPU work on the imported keys.

import type { Principal } from '../hub/types.js';
import { bearerFromHeader } from './bearer.js';
import { loadKeyRing, type KeyRing } from './keys.js';
import { resolveAuthOptions, type AuthenticationOptions, type ResolvedAuthOptions } from './options.js';
import { signToken, type SignOptions, type TokenClaims } from './sign-token.js';
import { verifyToken } from './verify-token.js';

export class AuthenticationManager {
  readonly #opts: ResolvedAuthOptions;
  readonly #keys: KeyRing;

  private constructor(opts: ResolvedAuthOptions, keys: KeyRing) {
    this.#opts = opts;
    this.#keys = keys;
  }

  /** Resolves options against HATAGO_AUTH_*, reads and imports the keys. Throws ERR_CONFIG_INVALID. */
  static async create(opts: AuthenticationOptions = {}): Promise<AuthenticationManager> {
    const resolved = resolveAuthOptions(opts);
    return new AuthenticationManager(resolved, await loadKeyRing(resolved));
  }

  /** Whether requests must carry a token. */
  get enabled(): boolean {
    return this.#opts.enabled;
  }

  /** Accepted algorithms, in order of preference. */
  get algorithms(): readonly string[] {
    return this.#keys.algorithms;
  }

  /** Algorithm generateToken signs with, if any key can sign. */
  get signingAlgorithm(): string | undefined {
    return this.#keys.signing?.alg;
  }

  /** Signs a token for `claims` (sub required). Throws ERR_INVALID_PARAMS or ERR_CONFIG_INVALID. */
  generateToken(claims: TokenClaims, opts?: SignOptions): Promise<string> {
    return signToken(
      claims,
      {
        keys: this.#keys,
        expiresInSeconds: this.#opts.expiresInSeconds,
        now: this.#opts.now,
        ...(this.#opts.issuer !== undefined && { issuer: this.#opts.issuer }),
        ...(this.#opts.audience !== undefined && { audience: this.#opts.audience }),
      },
      opts,
    );
  }

  /** Verifies `token`. Throws ERR_UNAUTHENTICATED, ERR_TOKEN_EXPIRED or ERR_TOKEN_INVALID. */
  verifyToken(token: string): Promise<Principal> {
    return verifyToken(token, {
      keys: this.#keys,
      clockTolerance: this.#opts.clockTolerance,
      maxTokenBytes: this.#opts.maxTokenBytes,
      now: this.#opts.now,
      ...(this.#opts.issuer !== undefined && { issuer: this.#opts.issuer }),
      ...(this.#opts.audience !== undefined && { audience: this.#opts.audience }),
    });
  }

  /** bearerFromHeader + verifyToken: the whole authentication stage for one request. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    return this.verifyToken(bearerFromHeader(authorization));
  }
}
