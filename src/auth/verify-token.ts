// Verifies one compact JWT and returns the Principal it names. Order matters:
// size and shape first (no crypto for junk), then the header's `alg` against
// the allow list and the key family, then the signature, and only then the
// payload and its claims (nothing about an unsigned payload is revealed).

import { compactVerify, errors as joseErrors } from 'jose';
import type { Principal } from '../hub/types.js';
import { checkRegisteredClaims } from './check-registered-claims.js';
import { tokenRejected, unauthenticated } from './errors.js';
import type { KeyRing } from './keys.js';
import { parseCompact } from './parse-compact.js';
import { principalClaimsProblem, toPrincipal } from './principal-claims.js';

export interface VerifyContext {
  keys: KeyRing;
  issuer?: string;
  audience?: readonly string[];
  clockTolerance: number;
  maxTokenBytes: number;
  now: () => Date;
}

export async function verifyToken(token: string, ctx: VerifyContext): Promise<Principal> {
  if (typeof token !== 'string' || token === '') throw unauthenticated();
  const { header } = parseCompact(token, ctx.maxTokenBytes);

  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') throw tokenRejected('malformed', 'header has no alg');
  if (alg.toLowerCase() === 'none') throw tokenRejected('alg_none');
  // The alg is attacker-chosen: quote and cut it before it reaches a log line.
  if (!ctx.keys.algorithms.includes(alg)) throw tokenRejected('alg_not_allowed', JSON.stringify(alg.slice(0, 32)));
  const key = ctx.keys.verify.get(alg);
  // Allowed, but no key of its own family is configured: never try another key.
  if (key === undefined) throw tokenRejected('key_family_mismatch', `no ${alg} key configured`);
  // RFC 7797 unencoded payloads are not JWTs.
  if (header.b64 !== undefined && header.b64 !== true) throw tokenRejected('malformed', 'b64 header must be absent or true');

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, key, { algorithms: [alg] }));
  } catch (cause) {
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) throw tokenRejected('bad_signature', undefined, cause);
    if (cause instanceof joseErrors.JOSEError) throw tokenRejected('malformed', cause.code, cause);
    throw cause;
  }

  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (cause) {
    throw tokenRejected('payload_not_json', 'not UTF-8 JSON', cause);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw tokenRejected('payload_not_json', 'not a JSON object');
  }
  const claims = payload as Record<string, unknown>;

  checkRegisteredClaims(claims, {
    nowSeconds: Math.floor(ctx.now().getTime() / 1000),
    clockTolerance: ctx.clockTolerance,
    ...(ctx.issuer !== undefined && { issuer: ctx.issuer }),
    ...(ctx.audience !== undefined && { audience: ctx.audience }),
  });
  const problem = principalClaimsProblem(claims);
  if (problem !== undefined) throw tokenRejected('bad_claims', problem);
  return toPrincipal(claims);
}
