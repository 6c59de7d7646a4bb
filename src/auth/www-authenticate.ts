// The challenge sent with every 401 (RFC 6750 §3). Descriptions are generic
// on purpose: the exact cause stays in the log.

import { isHatagoError } from '../errors/index.js';

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** `WWW-Authenticate` value for an authentication failure (or none: a bare challenge). */
export function wwwAuthenticate(err?: unknown, realm = 'hatago'): string {
  const challenge = `Bearer realm=${quote(realm)}`;
  if (!isHatagoError(err)) return challenge;
  switch (err.code) {
    case 'ERR_TOKEN_EXPIRED':
      return `${challenge}, error="invalid_token", error_description="The access token expired"`;
    case 'ERR_TOKEN_INVALID':
      return `${challenge}, error="invalid_token", error_description="The access token is invalid"`;
    default:
      // ERR_UNAUTHENTICATED: RFC 6750 says no error code when no token was sent.
      return challenge;
  }
}
