// RFC 6750 §2.1: `Authorization: Bearer <b64token>`. The scheme is matched
// case-insensitively; exactly one space, then exactly one token.

import { tokenRejected, unauthenticated } from './errors.js';

const BEARER = /^bearer(?: (.*))?$/is;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function bearerFromHeader(value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw unauthenticated();
  const m = BEARER.exec(value);
  // Another scheme (Basic, Digest...) carries no bearer token: not authenticated.
  if (!m) throw unauthenticated('other_scheme');
  const token = m[1];
  if (token === undefined || !B64TOKEN.test(token)) throw tokenRejected('malformed', 'Authorization is not "Bearer <token>"');
  return token;
}
