// Password hashes for `security.authentication.users`: scrypt with a random
// salt, every parameter written into the string so a hash made today still
// verifies after the defaults change:
//
//   scrypt$N=32768,r=8,p=1$<salt, base64url>$<key, base64url>
//
// Verification compares with timingSafeEqual. scrypt runs on the libuv pool
// (async), so a login never blocks the event loop.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** 32 MiB and tens of milliseconds per hash on current hardware. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 32768, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Parameters a hash may carry: a config cannot make one login cost more than ~1 GiB.
const MAX = { N: 2 ** 20, r: 16, p: 4 };
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

/** Work of one scrypt run, up to a constant: N·r·p block mixes. */
export function scryptCost(params: ScryptParams): number {
  return params.N * params.r * params.p;
}

/**
 * The most expensive of `list` (largest N·r·p; on a tie, the most memory,
 * N·r), or undefined for an empty list. An unknown user's dummy hash is made
 * with these, so no login answer comes back faster than a real user's.
 */
export function costliestParams(list: readonly ScryptParams[]): ScryptParams | undefined {
  let best: ScryptParams | undefined;
  for (const p of list) {
    if (!best || scryptCost(p) > scryptCost(best) || (scryptCost(p) === scryptCost(best) && p.N * p.r > best.N * best.r)) best = p;
  }
  return best && { ...best };
}

/** Why `params` cannot be used, or undefined. */
export function scryptParamsProblem(params: ScryptParams): string | undefined {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < 2 || N > MAX.N || (N & (N - 1)) !== 0) return `N must be a power of two from 2 to ${MAX.N}`;
  if (!Number.isSafeInteger(r) || r < 1 || r > MAX.r) return `r must be an integer from 1 to ${MAX.r}`;
  if (!Number.isSafeInteger(p) || p < 1 || p > MAX.p) return `p must be an integer from 1 to ${MAX.p}`;
  return undefined;
}

/** Reads `scrypt$N=..,r=..,p=..$salt$key`; undefined when it is not one. */
export function parsePasswordHash(text: string): ParsedHash | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') return undefined;
  const m = /^N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})$/.exec(parts[1]!);
  if (!m) return undefined;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (scryptParamsProblem(params) !== undefined) return undefined;
  if (!B64URL.test(parts[2]!) || !B64URL.test(parts[3]!)) return undefined;
  const salt = Buffer.from(parts[2]!, 'base64url');
  const key = Buffer.from(parts[3]!, 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 128) return undefined;
  return { params, salt, key };
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  // Node refuses more than 32 MiB by default; allow exactly what the parameters need.
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, keyLength, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** A new hash of `password` with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) throw new TypeError('password must be a non-empty string');
  const problem = scryptParamsProblem(params);
  if (problem !== undefined) throw new RangeError(`scrypt parameters: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` matches the parsed hash. Always runs the full scrypt. */
export async function verifyPassword(password: string, hash: ParsedHash): Promise<boolean> {
  const key = await derive(typeof password === 'string' ? password : '', hash.salt, hash.params, hash.key.length);
  return timingSafeEqual(key, hash.key);
}
