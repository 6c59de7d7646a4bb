// Mints a token the same module will accept: signs with the first accepted
// algorithm that has a signing key and sets iat, exp, jti, iss and aud itself.
// Signing is synchronous (node:crypto), so generateToken returns the token
// itself, as the guide shows; verification (jose) is a separate implementation,
// which the round-trip tests exercise for every algorithm.

import { constants, createHmac, randomUUID, sign, type KeyObject } from 'node:crypto';
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

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** The JWS signature (RFC 7518 §3) of `input` with `key` for `alg`. */
function jwsSignature(alg: string, key: KeyObject, input: string): Buffer {
  const hash = `sha${alg.slice(2)}`;
  switch (alg.slice(0, 2)) {
    case 'HS':
      return createHmac(hash, key).update(input).digest();
    case 'RS':
      return sign(hash, Buffer.from(input), key);
    case 'PS':
      return sign(hash, Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ES':
      // JWS wants r||s, not DER.
      return sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    default:
      throw new HatagoError('ERR_CONFIG_INVALID', { detail: `security.authentication: cannot sign with '${alg}'` });
  }
}

export function signToken(claims: TokenClaims, ctx: SignContext, opts: SignOptions = {}): string {
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
  const payload: Record<string, unknown> = { ...claims, iat: now, exp: now + ttl, jti: randomUUID() };
  if (ctx.issuer !== undefined) payload.iss = ctx.issuer;
  if (ctx.audience !== undefined) payload.aud = ctx.audience.length === 1 ? ctx.audience[0]! : [...ctx.audience];
  const input = `${b64url(JSON.stringify({ alg: signing.alg, typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${jwsSignature(signing.alg, signing.key, input).toString('base64url')}`;
}
