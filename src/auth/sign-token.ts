// Mints a token the same module will accept: signs with the first accepted
// algorithm that has a signing key and sets iat, exp, jti, iss and aud itself.

import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { HatagoError } from '../errors/index.js';
import { parseDuration } from './duration.js';
import type { KeyRing } from './keys.js';
import { principalClaimsProblem } from './principal-claims.js';

export interface TokenClaims {
  sub: string;
  username?: string;
  roles?: string[];
  permissions?: string[];
  sessionId?: string;
  /** Space-separated string or list. */
  scope?: string | string[];
  [claim: string]: unknown;
}

export interface SignOptions {
  /** Overrides the configured lifetime: '1h', '30m', ... or seconds. */
  expiresIn?: string | number;
}

export interface SignContext {
  keys: KeyRing;
  issuer?: string;
  audience?: readonly string[];
  expiresInSeconds: number;
  now: () => Date;
}

/** Registered claims the signer owns; a caller setting them is a mistake. */
const SIGNER_OWNED = ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti'];

function invalid(detail: string): HatagoError {
  return new HatagoError('ERR_INVALID_PARAMS', { message: `Invalid token claims: ${detail}`, detail });
}

export async function signToken(claims: TokenClaims, ctx: SignContext, opts: SignOptions = {}): Promise<string> {
  const signing = ctx.keys.signing;
  if (signing === undefined) {
    throw new HatagoError('ERR_CONFIG_INVALID', {
      detail: `security.authentication: no signing key for ${ctx.keys.algorithms.join(', ') || 'any algorithm'} (set secret or privateKeyPath)`,
    });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw invalid('claims must be an object');
  const owned = SIGNER_OWNED.filter((c) => Object.hasOwn(claims, c));
  if (owned.length > 0) throw invalid(`${owned.join(', ')} set by the signer, not the caller`);
  const problem = principalClaimsProblem(claims);
  if (problem !== undefined) throw invalid(problem);

  let ttl = ctx.expiresInSeconds;
  if (opts.expiresIn !== undefined) {
    const parsed = parseDuration(opts.expiresIn);
    if (parsed === undefined) throw invalid(`expiresIn '${String(opts.expiresIn)}' is not a duration`);
    ttl = parsed;
  }

  const now = Math.floor(ctx.now().getTime() / 1000);
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: signing.alg, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID());
  if (ctx.issuer !== undefined) jwt.setIssuer(ctx.issuer);
  if (ctx.audience !== undefined) jwt.setAudience(ctx.audience.length === 1 ? ctx.audience[0]! : [...ctx.audience]);
  return jwt.sign(signing.key);
}
