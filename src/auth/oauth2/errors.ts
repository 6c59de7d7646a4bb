// Failures specific to the OAuth 2.0 resource server. Token failures reuse
// the JWT module's codes (tokenRejected); this one has no JWT equivalent (a missing scope is the policy's ERR_INSUFFICIENT_SCOPE, stage "token").

import { HatagoError } from '../../errors/index.js';

/**
 * The provider (discovery, JWKS, userinfo, introspection) could not answer.
 * Fail closed with 503, not 401: the token may be fine, and a 401 would make
 * a client throw it away and start a new authorization.
 */
export function providerUnavailable(detail: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_AUTH_PROVIDER_UNAVAILABLE', { detail, data: { reason: 'provider_unavailable' }, cause });
}
