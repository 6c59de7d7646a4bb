// Validation of a token the hub cannot read (opaque, or a JWT when no issuer
// is configured): ask the provider. RFC 7662 introspection when configured
// (it reports scope, aud and exp: all required and checked), else the userinfo endpoint
// (a 200 proves the token is live, but says nothing of its audience or
// scope: see docs/oauth2.md). 401/403 refuses the token; an unreachable
// provider, a 5xx or a malformed answer is ERR_AUTH_PROVIDER_UNAVAILABLE.

import { checkRegisteredClaims } from '../check-registered-claims.js';
import { tokenRejected } from '../errors.js';
import { providerUnavailable } from './errors.js';
import { fetchJson } from './fetch-json.js';

export interface OpaqueCheck {
  timeoutMs: number;
  issuer?: string;
  audience: readonly string[];
  clockTolerance: number;
  now: () => Date;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function viaUserInfo(token: string, userInfoUrl: string, check: OpaqueCheck): Promise<Record<string, unknown>> {
  const { status, body } = await fetchJson(userInfoUrl, { timeoutMs: check.timeoutMs, what: 'userinfo', headers: { authorization: `Bearer ${token}` } });
  if (status === 401 || status === 403) throw tokenRejected('bad_signature', `userinfo refused the token (HTTP ${status})`);
  if (status !== 200) throw providerUnavailable(`userinfo: HTTP ${status}`);
  // Signed or encrypted userinfo (application/jwt) is not supported.
  if (!isObject(body) || typeof body.sub !== 'string' || body.sub === '') throw providerUnavailable('userinfo: no sub in the answer');
  return body;
}

export async function viaIntrospection(
  token: string,
  introspectionUrl: string,
  client: { id: string; secret: string },
  check: OpaqueCheck,
): Promise<Record<string, unknown>> {
  // RFC 7662 §2.1 with client_secret_basic (RFC 6749 §2.3.1: form-encode, then Base64).
  const basic = Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
  const { status, body } = await fetchJson(introspectionUrl, {
    timeoutMs: check.timeoutMs,
    what: 'introspection',
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
  });
  // The hub's own credentials were refused: a configuration problem, not the caller's.
  if (status !== 200 || !isObject(body)) throw providerUnavailable(`introspection: HTTP ${status}`);
  if (body.active !== true) throw tokenRejected('bad_signature', 'introspection: inactive');
  const claims = { ...body };
  delete claims.active;
  if (typeof claims.exp !== 'number') throw tokenRejected('bad_claims', 'introspection: no exp');
  checkRegisteredClaims(claims, {
    nowSeconds: Math.floor(check.now().getTime() / 1000),
    clockTolerance: check.clockTolerance,
    ...(check.issuer !== undefined && claims.iss !== undefined && { issuer: check.issuer }),
    // MCP: a token must have been issued for this resource; an answer without aud proves nothing.
    audience: check.audience,
  });
  return claims;
}
