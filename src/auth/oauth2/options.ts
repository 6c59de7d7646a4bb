// `security.authentication` for `type: "oauth2"`: the guide's `provider`
// block plus what a resource server needs (issuer, resource, audience,
// rolesClaim, ...). Validated once at start; a bad setting refuses to start.

import { familyOf } from '../algorithms.js';
import { authConfigInvalid } from '../errors.js';
import { isLoopbackHost } from '../safe-binding.js';

export interface OAuth2ProviderOptions {
  /** The provider's authorization endpoint (guide). Informational: clients find it in the issuer's metadata. */
  authUrl?: string;
  /** The provider's token endpoint (guide). Informational, as authUrl. */
  tokenUrl?: string;
  /** OpenID userinfo endpoint: validates opaque tokens when no introspectionUrl is set. Default: from discovery. */
  userInfoUrl?: string;
  /** The hub's own client at the provider: authenticates introspection calls. */
  clientId?: string;
  clientSecret?: string;
  /** Scopes clients should request (metadata `scopes_supported`, challenge `scope`). */
  scope?: string[];
  /** Scopes every token must carry. Default: `scope` minus the OpenID Connect identity scopes. */
  requiredScopes?: string[];
  /** Authorization server issuer: tokens must carry exactly this `iss`; discovery starts here. */
  issuer?: string;
  /** JWKS location; default: `jwks_uri` from the issuer's metadata. */
  jwksUrl?: string;
  /** RFC 7662 introspection endpoint for opaque tokens (needs clientId and clientSecret). */
  introspectionUrl?: string;
  /** The hub's canonical MCP URL (RFC 8707 resource, RFC 9728 `resource`), e.g. https://mcp.example.com/mcp. Required. */
  resource?: string;
  /** Accepted `aud` values (one must match). Default: [resource]. */
  audience?: string | string[];
  /** Dot path of the roles claim, e.g. `realm_access.roles` or `groups`. Default `roles`. */
  rolesClaim?: string;
  /** Seconds an opaque token's positive validation is cached. Default 60; 0 disables. */
  cacheTtl?: number;
  /** Minimum seconds between two JWKS downloads for an unknown `kid`. Default 30. */
  jwksCooldown?: number;
  /** Milliseconds to wait for the provider. Default 5000. */
  timeoutMs?: number;
}

/** OpenID Connect identity scopes: they concern the client's login, not access to this resource. */
export const OIDC_IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

/** Every asymmetric JWS algorithm; an access token signed with a shared secret is never accepted here. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

export interface ResolvedOAuth2Options {
  issuer?: string;
  jwksUrl?: string;
  userInfoUrl?: string;
  introspectionUrl?: string;
  client?: { id: string; secret: string };
  authUrl?: string;
  tokenUrl?: string;
  resource: string;
  audience: string[];
  scopesSupported: string[];
  requiredScopes: string[];
  rolesClaim: string[];
  algorithms: string[];
  clockTolerance: number;
  maxTokenBytes: number;
  cacheTtlSeconds: number;
  jwksCooldownSeconds: number;
  timeoutMs: number;
  now: () => Date;
}

/** Top-level settings shared with `type: "jwt"` that oauth2 honours. */
export interface SharedAuthSettings {
  algorithms?: string[];
  clockTolerance?: number;
  maxTokenBytes?: number;
  now?: () => Date;
}

const where = (key: string) => `provider.${key}`;

/** https, or http on a loopback host only: a token or JWKS over cleartext is refused at start. */
function url(value: unknown, key: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw authConfigInvalid(`${where(key)} must be a URL string`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw authConfigInvalid(`${where(key)} '${value}' is not an absolute URL`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
    throw authConfigInvalid(`${where(key)} must use https (http is allowed for loopback hosts only)`);
  }
  if (u.hash !== '') throw authConfigInvalid(`${where(key)} must not have a fragment`);
  return value;
}

function withoutIdentityScopes(scope: readonly string[]): string[] {
  return scope.filter((s) => !OIDC_IDENTITY_SCOPES.has(s));
}

/**
 * The scopes every token must carry, as the policy reads them
 * (data.config.authentication.requiredScopes; the policy decides, stage
 * "token"): `requiredScopes`, else `scope` minus the identity scopes.
 * Unchecked here: start-up validates the provider block (resolveOAuth2Options).
 */
export function requiredScopesOf(p: Pick<OAuth2ProviderOptions, 'scope' | 'requiredScopes'> | undefined): string[] {
  if (Array.isArray(p?.requiredScopes)) return p.requiredScopes.filter((s) => typeof s === 'string');
  return withoutIdentityScopes(Array.isArray(p?.scope) ? p.scope.filter((s) => typeof s === 'string') : []);
}

function stringList(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || s === '' || /\s/.test(s))) {
    throw authConfigInvalid(`${where(key)} must be an array of scope tokens (no spaces)`);
  }
  return [...new Set(value as string[])];
}

function seconds(value: unknown, key: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw authConfigInvalid(`${where(key)} must be a non-negative number`);
  return value;
}

export function resolveOAuth2Options(provider: OAuth2ProviderOptions | undefined, shared: SharedAuthSettings): ResolvedOAuth2Options {
  if (provider === undefined || typeof provider !== 'object' || provider === null) {
    throw authConfigInvalid('type "oauth2" needs a provider block (docs/oauth2.md)');
  }
  const p = provider;
  const resource = url(p.resource, 'resource');
  // No default: behind a proxy the hub cannot know the URL its clients use.
  if (resource === undefined) throw authConfigInvalid('provider.resource is required: the public URL of the MCP endpoint, e.g. https://mcp.example.com/mcp');
  if (new URL(resource).search !== '') throw authConfigInvalid('provider.resource must not have a query (RFC 8707)');

  const issuer = url(p.issuer, 'issuer');
  const jwksUrl = url(p.jwksUrl, 'jwksUrl');
  const userInfoUrl = url(p.userInfoUrl, 'userInfoUrl');
  const introspectionUrl = url(p.introspectionUrl, 'introspectionUrl');
  const authUrl = url(p.authUrl, 'authUrl');
  const tokenUrl = url(p.tokenUrl, 'tokenUrl');
  if (issuer === undefined && jwksUrl === undefined && userInfoUrl === undefined && introspectionUrl === undefined) {
    throw authConfigInvalid('provider needs issuer, jwksUrl, userInfoUrl or introspectionUrl: nothing could validate a token');
  }
  // A JWKS alone proves who signed, not who issued: require the issuer too.
  if (jwksUrl !== undefined && issuer === undefined) throw authConfigInvalid('provider.jwksUrl needs provider.issuer (the required iss)');

  const clientId = typeof p.clientId === 'string' && p.clientId !== '' ? p.clientId : undefined;
  const clientSecret = typeof p.clientSecret === 'string' && p.clientSecret !== '' ? p.clientSecret : undefined;
  if ((clientId === undefined) !== (clientSecret === undefined)) throw authConfigInvalid('provider.clientId and provider.clientSecret go together');
  if (introspectionUrl !== undefined && clientId === undefined) throw authConfigInvalid('provider.introspectionUrl needs clientId and clientSecret');

  let audience = [resource];
  if (p.audience !== undefined) {
    audience = typeof p.audience === 'string' ? [p.audience] : p.audience;
    if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) {
      throw authConfigInvalid('provider.audience must be a non-empty string or array of non-empty strings');
    }
  }

  const scopesSupported = stringList(p.scope, 'scope') ?? [];
  const requiredScopes = stringList(p.requiredScopes, 'requiredScopes') ?? withoutIdentityScopes(scopesSupported);

  const rolesClaim = p.rolesClaim ?? 'roles';
  if (typeof rolesClaim !== 'string' || rolesClaim.split('.').some((seg) => seg === '')) {
    throw authConfigInvalid('provider.rolesClaim must be a dot path such as realm_access.roles');
  }

  const algorithms = shared.algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw authConfigInvalid('algorithms must be a non-empty array');
  for (const alg of algorithms) {
    const family = typeof alg === 'string' ? familyOf(alg) : undefined;
    if (family === undefined) throw authConfigInvalid(`algorithm '${String(alg)}' is not supported`);
    if (family.kind === 'secret') throw authConfigInvalid(`algorithm '${alg}' is symmetric: type "oauth2" accepts asymmetric algorithms only`);
  }

  const clockTolerance = shared.clockTolerance ?? 0;
  if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw authConfigInvalid('clockTolerance must be a non-negative number of seconds');
  }
  const maxTokenBytes = shared.maxTokenBytes ?? 8192;
  if (!Number.isSafeInteger(maxTokenBytes) || maxTokenBytes <= 0) throw authConfigInvalid('maxTokenBytes must be a positive integer');

  const timeoutMs = seconds(p.timeoutMs, 'timeoutMs', 5000);
  if (timeoutMs === 0) throw authConfigInvalid('provider.timeoutMs must be positive');

  return {
    ...(issuer !== undefined && { issuer }),
    ...(jwksUrl !== undefined && { jwksUrl }),
    ...(userInfoUrl !== undefined && { userInfoUrl }),
    ...(introspectionUrl !== undefined && { introspectionUrl }),
    ...(clientId !== undefined && clientSecret !== undefined && { client: { id: clientId, secret: clientSecret } }),
    ...(authUrl !== undefined && { authUrl }),
    ...(tokenUrl !== undefined && { tokenUrl }),
    resource,
    audience: [...new Set(audience)],
    scopesSupported,
    requiredScopes,
    rolesClaim: rolesClaim.split('.'),
    algorithms: [...new Set(algorithms)],
    clockTolerance,
    maxTokenBytes,
    cacheTtlSeconds: seconds(p.cacheTtl, 'cacheTtl', 60),
    jwksCooldownSeconds: seconds(p.jwksCooldown, 'jwksCooldown', 30),
    timeoutMs,
    now: shared.now ?? (() => new Date()),
  };
}
