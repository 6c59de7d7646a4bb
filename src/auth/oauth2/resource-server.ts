// The hub as an OAuth 2.0 resource server (MCP authorization): one access
// token in, one Principal out, or a HatagoError carrying the RFC 9728 / 6750
// challenge parameters. JWTs are validated locally when an issuer is known;
// anything else goes to introspection or userinfo (verify-opaque.ts).

import type { JWTVerifyGetKey } from 'jose';
import type { Principal } from '../../hub/types.js';
import { bearerFromHeader } from '../bearer.js';
import { tokenRejected, unauthenticated } from '../errors.js';
import { attachChallenge } from '../www-authenticate.js';
import { IssuerDiscovery } from './discovery.js';
import { providerUnavailable } from './errors.js';
import { metadataPaths, metadataUrl, protectedResourceMetadata, type ProtectedResourceMetadata } from './metadata.js';
import type { ResolvedOAuth2Options } from './options.js';
import { oauth2Principal } from './principal.js';
import { TokenCache } from './token-cache.js';
import { remoteKeySet, verifyJwtAccessToken } from './verify-jwt.js';
import { viaIntrospection, viaUserInfo } from './verify-opaque.js';

/** Three dot-separated parts: a JWS compact serialization (a JWE has five). */
function looksLikeJws(token: string): boolean {
  return token.split('.').length === 3;
}

/** A validated token: its principal, and whether the provider said which scopes it has (userinfo does not). */
export interface VerifiedAccessToken {
  principal: Principal;
  scopesKnown: boolean;
}

export class OAuth2ResourceServer {
  readonly options: ResolvedOAuth2Options;
  readonly #discovery: IssuerDiscovery | undefined;
  readonly #cache: TokenCache<Record<string, unknown>>;
  #keys: JWTVerifyGetKey | undefined;

  constructor(options: ResolvedOAuth2Options) {
    this.options = options;
    this.#discovery = options.issuer !== undefined ? new IssuerDiscovery(options.issuer, options.timeoutMs) : undefined;
    this.#cache = new TokenCache(options.cacheTtlSeconds, options.now);
    if (options.jwksUrl !== undefined) this.#keys = remoteKeySet(options.jwksUrl, { cooldownSeconds: options.jwksCooldownSeconds, timeoutMs: options.timeoutMs });
  }

  /** Where clients fetch the RFC 9728 document (the challenge's resource_metadata). */
  get resourceMetadataUrl(): string {
    return metadataUrl(this.options.resource);
  }

  get metadataPaths(): string[] {
    return metadataPaths(this.options.resource);
  }

  metadata(): ProtectedResourceMetadata {
    return protectedResourceMetadata(this.options);
  }

  /**
   * The authentication stage: Authorization header in, Principal out. Every
   * failure carries the challenge. Whether the token's scopes suffice
   * (requiredScopes) is the policy's decision, stage "token", asked next.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    return (await this.verifyHeader(authorization)).principal;
  }

  async verifyHeader(authorization: string | undefined): Promise<VerifiedAccessToken> {
    try {
      return await this.#verify(bearerFromHeader(authorization));
    } catch (err) {
      throw this.challenge(err);
    }
  }

  /** Validates a bare access token (stdio: HATAGO_AUTH_TOKEN). */
  async verifyToken(token: string): Promise<Principal> {
    return (await this.verifyBare(token)).principal;
  }

  async verifyBare(token: string): Promise<VerifiedAccessToken> {
    try {
      if (typeof token !== 'string' || token === '') throw unauthenticated();
      return await this.#verify(token);
    } catch (err) {
      throw this.challenge(err);
    }
  }

  /** Attaches this resource's challenge (resource_metadata, scope) to `err`: every 401, and the 403 insufficient_scope. */
  challenge(err: unknown): unknown {
    const scope = this.options.scopesSupported;
    return attachChallenge(err, { resourceMetadata: this.resourceMetadataUrl, ...(scope.length > 0 && { scope }) });
  }

  async #verify(token: string): Promise<VerifiedAccessToken> {
    const o = this.options;
    if (Buffer.byteLength(token, 'utf8') > o.maxTokenBytes) throw tokenRejected('oversized', `more than ${o.maxTokenBytes} bytes`);
    let claims: Record<string, unknown>;
    let scopesKnown: boolean;
    if (looksLikeJws(token) && o.issuer !== undefined) {
      claims = await verifyJwtAccessToken(token, await this.#keySet(), {
        issuer: o.issuer,
        audience: o.audience,
        algorithms: o.algorithms,
        clockTolerance: o.clockTolerance,
        maxTokenBytes: o.maxTokenBytes,
        now: o.now,
      });
      scopesKnown = true;
    } else {
      ({ claims, scopesKnown } = await this.#opaque(token));
    }
    // Userinfo reports no scope: the policy applies requiredScopes only where the provider says which scopes the token has.
    return { principal: oauth2Principal(claims, o.rolesClaim), scopesKnown };
  }

  async #opaque(token: string): Promise<{ claims: Record<string, unknown>; scopesKnown: boolean }> {
    const o = this.options;
    const check = { timeoutMs: o.timeoutMs, audience: o.audience, clockTolerance: o.clockTolerance, now: o.now, ...(o.issuer !== undefined && { issuer: o.issuer }) };
    if (o.introspectionUrl !== undefined && o.client !== undefined) {
      const cached = this.#cache.get(token);
      const claims = cached ?? (await viaIntrospection(token, o.introspectionUrl, o.client, check));
      if (cached === undefined) this.#cache.set(token, claims, typeof claims.exp === 'number' ? claims.exp : undefined);
      return { claims, scopesKnown: true };
    }
    const userInfoUrl = o.userInfoUrl ?? (await this.#metadata())?.userinfo_endpoint;
    // Nothing can read this token: refuse it rather than guess.
    if (userInfoUrl === undefined) throw tokenRejected('malformed', 'not a JWT and no userinfo or introspection endpoint');
    const cached = this.#cache.get(token);
    const claims = cached ?? (await viaUserInfo(token, userInfoUrl, check));
    if (cached === undefined) this.#cache.set(token, claims);
    return { claims, scopesKnown: false };
  }

  async #metadata() {
    return this.#discovery?.metadata();
  }

  async #keySet(): Promise<JWTVerifyGetKey> {
    if (this.#keys !== undefined) return this.#keys;
    const jwksUri = (await this.#metadata())?.jwks_uri;
    if (typeof jwksUri !== 'string') throw providerUnavailable('discovery: the issuer publishes no jwks_uri');
    this.#keys = remoteKeySet(jwksUri, { cooldownSeconds: this.options.jwksCooldownSeconds, timeoutMs: this.options.timeoutMs });
    return this.#keys;
  }
}
