// Cheap structural checks on a compact JWS, done before any crypto: size,
// three base64url parts, and a JSON-object protected header. Anything that
// fails here is refused without touching a key.

import { tokenRejected } from './errors.js';

export interface CompactParts {
  header: Record<string, unknown>;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function checkPart(part: string, what: string, allowEmpty: boolean): void {
  // length % 4 === 1 is never valid base64url; Buffer would silently drop it.
  if ((!allowEmpty && part === '') || !B64URL.test(part) || part.length % 4 === 1) {
    throw tokenRejected('malformed', `${what} is not base64url`);
  }
}

export function parseCompact(token: string, maxTokenBytes: number): CompactParts {
  if (Buffer.byteLength(token, 'utf8') > maxTokenBytes) throw tokenRejected('oversized', `more than ${maxTokenBytes} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3) throw tokenRejected('malformed', `${parts.length} parts, expected 3 (compact JWS)`);
  const [h, p, s] = parts as [string, string, string];
  checkPart(h, 'header', false);
  checkPart(p, 'payload', false);
  // An empty signature is let through so that `alg: none` tokens are named
  // as such; every real algorithm then fails them at the signature check.
  checkPart(s, 'signature', true);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(h, 'base64url')));
  } catch (cause) {
    throw tokenRejected('malformed', 'header is not JSON', cause);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw tokenRejected('malformed', 'header is not a JSON object');
  }
  return { header: header as Record<string, unknown> };
}
