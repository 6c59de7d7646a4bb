// Every failure of the auth module, in one place (as jose keeps its errors in
// one file). The client sees only the code's generic message and a general
// `reason`; the exact cause goes to `detail`, which is for logs only.

import { HatagoError } from '../errors/index.js';

/** Exact, stable causes of a rejected token (the first word of `detail`). */
export type TokenFailureReason =
  | 'malformed'
  | 'alg_none'
  | 'alg_not_allowed'
  | 'key_family_mismatch'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'iat_in_future'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'oversized'
  | 'payload_not_json'
  | 'bad_claims'
  | 'revoked';

/** No credentials at all: ERR_UNAUTHENTICATED. */
export function unauthenticated(detail = 'missing'): HatagoError {
  return new HatagoError('ERR_UNAUTHENTICATED', { detail, data: { reason: 'missing' } });
}

/**
 * A token that must be refused. `detail` is `<reason>` or `<reason>: <text>`;
 * the text names claims or header fields, never key material or the token.
 */
export function tokenRejected(reason: TokenFailureReason, text?: string, cause?: unknown): HatagoError {
  const detail = text === undefined ? reason : `${reason}: ${text}`;
  if (reason === 'expired') {
    return new HatagoError('ERR_TOKEN_EXPIRED', { detail, data: { reason: 'expired' }, cause });
  }
  return new HatagoError('ERR_TOKEN_INVALID', { detail, data: { reason: 'invalid' }, cause });
}

/** The reason word of a token failure's `detail`, for logs and tests. */
export function failureReason(err: HatagoError): string | undefined {
  return err.detail?.split(':', 1)[0];
}

/** Bad authentication settings: refuse to start rather than run half-secured. */
export function authConfigInvalid(detail: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_CONFIG_INVALID', { detail: `security.authentication: ${detail}`, cause });
}
