// Masking of decision inputs for the decision log: the hub's sanitizer
// (src/log/sanitizer.ts: masked key names, secret patterns, config secrets)
// plus one rule of its own: every principal claim value is masked, except the
// registered claims that only say who issued the token, for whom and when.
import { REDACTED } from '../../log/sanitizer.js';

/** A deep copy of a value with secrets masked (the log sanitizer's `value`). */
export type Sanitizer = (value: unknown) => unknown;

/**
 * RFC 7519 registered claims an operator needs to read a record (issuer,
 * subject, audience, lifetime, token id) and that carry no credential. They
 * still pass through the sanitizer, like every other value.
 */
export const PLAIN_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/**
 * Masks a contract-v1 decision input: secrets anywhere (the sanitizer) and
 * every principal claim value but PLAIN_CLAIMS (claims may carry e-mail,
 * tenant ids, raw tokens). Claim keys stay, so a replay still sees which
 * claims were present.
 */
export function maskDecisionInput(input: Record<string, unknown>, sanitize: Sanitizer): Record<string, unknown> {
  return sanitize(withMaskedClaims(input)) as Record<string, unknown>;
}

/**
 * The input with every principal claim value but PLAIN_CLAIMS replaced by REDACTED. Copies
 * only the principal: the input itself is never changed.
 */
export function withMaskedClaims(input: Record<string, unknown>): Record<string, unknown> {
  const principal = input.principal;
  if (principal === null || typeof principal !== 'object' || Array.isArray(principal)) return input;
  const claims = (principal as Record<string, unknown>).claims;
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return input;
  const masked = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, PLAIN_CLAIMS.has(k) ? v : REDACTED]));
  return { ...input, principal: { ...principal, claims: masked } };
}
