// The challenge sent with every 401 (RFC 6750 §3), and with a 403
// insufficient_scope. Descriptions are generic on purpose: the exact cause
// stays in the log. A resource server (type oauth2) attaches its RFC 9728
// `resource_metadata` URL and `scope` to the errors it throws, so the HTTP
// layer that writes the answer needs no knowledge of OAuth.

import { isHatagoError } from '../errors/index.js';

export interface ChallengeParams {
  /** RFC 9728 §5.1: where the client finds the protected resource metadata. */
  resourceMetadata?: string;
  /** Scopes the client should request (RFC 6750 §3). */
  scope?: readonly string[];
}

// Keyed by the error object: no change to the error's client-visible fields.
const params = new WeakMap<object, ChallengeParams>();

/** Records challenge parameters on `err` (an object) and returns it. */
export function attachChallenge<E>(err: E, p: ChallengeParams): E {
  if (typeof err === 'object' && err !== null) params.set(err, p);
  return err;
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** `WWW-Authenticate` value for an authentication failure (or none: a bare challenge). */
export function wwwAuthenticate(err?: unknown, realm = 'hatago'): string {
  const parts = [`Bearer realm=${quote(realm)}`];
  const extra = typeof err === 'object' && err !== null ? params.get(err) : undefined;
  if (extra?.resourceMetadata !== undefined) parts.push(`resource_metadata=${quote(extra.resourceMetadata)}`);
  if (isHatagoError(err)) {
    switch (err.code) {
      case 'ERR_TOKEN_EXPIRED':
        parts.push('error="invalid_token"', 'error_description="The access token expired"');
        break;
      case 'ERR_TOKEN_INVALID':
        parts.push('error="invalid_token"', 'error_description="The access token is invalid"');
        break;
      case 'ERR_INSUFFICIENT_SCOPE':
        parts.push('error="insufficient_scope"', 'error_description="The access token lacks a required scope"');
        break;
      default:
      // ERR_UNAUTHENTICATED: RFC 6750 says no error code when no token was sent.
    }
  }
  if (extra?.scope !== undefined && extra.scope.length > 0) parts.push(`scope=${quote(extra.scope.join(' '))}`);
  return parts.join(', ');
}

/** The challenge header an error answer carries: every 401, and a 403 for insufficient scope. */
export function challengeHeader(err: unknown, status: number): Record<string, string> {
  const scoped = isHatagoError(err) && err.code === 'ERR_INSUFFICIENT_SCOPE';
  return status === 401 || scoped ? { 'WWW-Authenticate': wwwAuthenticate(err) } : {};
}
