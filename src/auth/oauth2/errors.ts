// Failures specific to the OAuth 2.0 resource server. Token failures reuse
// the JWT module's codes (tokenRejected); these two have no JWT equivalent.

import { HatagoError } from '../../errors/index.js';

/**
 * The provider (discovery, JWKS, userinfo, introspection) could not answer.
 * Fail closed with 503, not 401: the token may be fine, and a 401 would make
 * a client throw it away and start a new authorization.
 */
export function providerUnavailable(detail: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_AUTH_PROVIDER_UNAVAILABLE', { detail, data: { reason: 'provider_unavailable' }, cause });
}

/** A valid token without every required scope (RFC 6750 §3.1: 403 insufficient_scope). */
export function insufficientScope(missing: readonly string[]): HatagoError {
  return new HatagoError('ERR_INSUFFICIENT_SCOPE', { detail: `insufficient_scope: missing ${missing.join(' ')}`, data: { reason: 'insufficient_scope' } });
}
