// Local validation of a JWT access token: signature against the provider's
// JWKS (fetched, cached and refetched for an unknown `kid` by jose), then the
// same registered-claim rules as `type: "jwt"` (exp required, nbf, iat, iss,
// aud with clockTolerance). The audience is the hub's resource (RFC 8707):
// a token minted for another resource is refused.

import { compactVerify, createRemoteJWKSet, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { checkRegisteredClaims } from '../check-registered-claims.js';
import { tokenRejected } from '../errors.js';
import { parseCompact } from '../parse-compact.js';
import { providerUnavailable } from './errors.js';

export interface JwtCheck {
  issuer: string;
  audience: readonly string[];
  algorithms: readonly string[];
  clockTolerance: number;
  maxTokenBytes: number;
  now: () => Date;
}

/** jose's remote key set with our cooldown and timeout; `cacheMaxAge` is how long keys serve while the provider is down. */
export function remoteKeySet(jwksUrl: string, opts: { cooldownSeconds: number; timeoutMs: number }): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: opts.cooldownSeconds * 1000,
    cacheMaxAge: 10 * 60 * 1000,
    timeoutDuration: opts.timeoutMs,
  });
}

function mapKeyError(cause: unknown): Error {
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed) return tokenRejected('bad_signature', undefined, cause);
  // No key with this kid even after a fresh download: signed by a key the provider never published.
  if (cause instanceof joseErrors.JWKSNoMatchingKey) return tokenRejected('bad_signature', 'no JWKS key matches the header', cause);
  if (cause instanceof joseErrors.JWKSMultipleMatchingKeys) return tokenRejected('bad_signature', 'several JWKS keys match; the token names no kid', cause);
  if (cause instanceof joseErrors.JOSEAlgNotAllowed) return tokenRejected('alg_not_allowed', undefined, cause);
  if (cause instanceof joseErrors.JWKSTimeout) return providerUnavailable('jwks: timed out', cause);
  if (cause instanceof joseErrors.JWKSInvalid) return providerUnavailable('jwks: not a JWK Set', cause);
  // jose's generic error is what a non-200 JWKS answer raises.
  if (cause instanceof joseErrors.JOSEError && cause.code === 'ERR_JOSE_GENERIC') return providerUnavailable(`jwks: ${cause.message}`, cause);
  if (cause instanceof joseErrors.JOSEError) return tokenRejected('malformed', cause.code, cause);
  // fetch itself failed (connection refused, DNS): the provider is down.
  return providerUnavailable('jwks: unreachable', cause);
}

export async function verifyJwtAccessToken(token: string, keys: JWTVerifyGetKey, check: JwtCheck): Promise<Record<string, unknown>> {
  const { header } = parseCompact(token, check.maxTokenBytes);
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') throw tokenRejected('malformed', 'header has no alg');
  if (alg.toLowerCase() === 'none') throw tokenRejected('alg_none');
  // Checked before any key lookup: a forged HS256 token costs no JWKS download.
  if (!check.algorithms.includes(alg)) throw tokenRejected('alg_not_allowed', JSON.stringify(alg.slice(0, 32)));

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, keys, { algorithms: [...check.algorithms] }));
  } catch (cause) {
    throw mapKeyError(cause);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (cause) {
    throw tokenRejected('payload_not_json', 'not UTF-8 JSON', cause);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw tokenRejected('payload_not_json', 'not a JSON object');
  const claims = payload as Record<string, unknown>;
  checkRegisteredClaims(claims, {
    nowSeconds: Math.floor(check.now().getTime() / 1000),
    clockTolerance: check.clockTolerance,
    issuer: check.issuer,
    audience: check.audience,
  });
  return claims;
}
