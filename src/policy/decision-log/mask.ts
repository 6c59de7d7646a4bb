// Masking of decision inputs for the decision log: the hub's sanitizer
// (src/log/sanitizer.ts: masked key names, secret patterns, config secrets)
// plus one rule of its own: every principal claim value is masked.
import { REDACTED } from '../../log/sanitizer.js';

/** A deep copy of a value with secrets masked (the log sanitizer's `value`). */
export type Sanitizer = (value: unknown) => unknown;

/**
 * Masks a contract-v1 decision input: secrets anywhere (the sanitizer) and
 * every principal claim value (claims may carry e-mail, tenant ids, raw
 * tokens). Claim keys stay, so a replay still sees which claims were present.
 */
export function maskDecisionInput(input: Record<string, unknown>, sanitize: Sanitizer): Record<string, unknown> {
  return sanitize(withMaskedClaims(input)) as Record<string, unknown>;
}

/**
 * The input with every principal claim value replaced by REDACTED. Copies
 * only the principal: the input itself is never changed.
 */
export function withMaskedClaims(input: Record<string, unknown>): Record<string, unknown> {
  const principal = input.principal;
  if (principal === null || typeof principal !== 'object' || Array.isArray(principal)) return input;
  const claims = (principal as Record<string, unknown>).claims;
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return input;
  const masked = Object.fromEntries(Object.keys(claims).map((k) => [k, REDACTED]));
  return { ...input, principal: { ...principal, claims: masked } };
}
