// Shared test material: real keys generated per run (jose generateKeyPair,
// exported to PEM files in a temp dir), a frozen clock, and raw-token
// builders for tokens the manager itself would never mint.

import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { CompactSign, exportPKCS8, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { HatagoError } from '../../src/errors/index.js';
import { failureReason } from '../../src/auth/index.js';

/** The frozen clock: 2026-01-01T00:00:00Z. */
export const NOW = new Date('2026-01-01T00:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const now = (): Date => NOW;
export const at = (seconds: number) => (): Date => new Date(seconds * 1000);

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const SECRET_BYTES = new TextEncoder().encode(SECRET);
/** No HATAGO_AUTH_* leaks in from the developer's shell. */
export const NO_ENV: Record<string, string | undefined> = {};

export interface KeyFiles {
  dir: string;
  rsa: { privatePath: string; publicPath: string; privatePem: string; publicPem: string; privateKey: CryptoKey };
  ec: { privatePath: string; publicPath: string; privatePem: string; publicPem: string; privateKey: CryptoKey };
  cleanup(): Promise<void>;
}

export async function makeKeyFiles(): Promise<KeyFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'hatago-auth-'));
  const rsa = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const out = {
    rsa: {
      privatePath: join(dir, 'rsa-private.pem'),
      publicPath: join(dir, 'rsa-public.pem'),
      privatePem: await exportPKCS8(rsa.privateKey),
      publicPem: await exportSPKI(rsa.publicKey),
      privateKey: rsa.privateKey,
    },
    ec: {
      privatePath: join(dir, 'ec-private.pem'),
      publicPath: join(dir, 'ec-public.pem'),
      privatePem: await exportPKCS8(ec.privateKey),
      publicPem: await exportSPKI(ec.publicKey),
      privateKey: ec.privateKey,
    },
  };
  for (const k of [out.rsa, out.ec]) {
    await writeFile(k.privatePath, k.privatePem, { mode: 0o600 });
    await writeFile(k.publicPath, k.publicPem);
  }
  return { dir, ...out, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const b64 = (v: string | Uint8Array): string => Buffer.from(v).toString('base64url');
export const json64 = (v: unknown): string => b64(JSON.stringify(v));

/** A valid claim set for the frozen clock. */
export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'user-123', iat: NOW_S, exp: NOW_S + 3600, ...extra };
}

/** Signs an arbitrary payload (bytes, string or JSON value) with jose. */
export async function signRaw(
  payload: unknown,
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): Promise<string> {
  const bytes =
    payload instanceof Uint8Array ? payload : new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader(header as { alg: string }).sign(key);
}

/** HS256 over header.payload with any bytes as the HMAC key, the way an attacker would. */
export function hmacToken(header: Record<string, unknown>, payload: unknown, key: string | Uint8Array): string {
  const input = `${json64(header)}.${json64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Asserts a HatagoError with this code and (optionally) this reason word in `detail`. */
export async function expectAuthError(p: Promise<unknown> | (() => unknown), code: string, reason?: string): Promise<HatagoError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(HatagoError);
  const e = err as HatagoError;
  expect(e.code).toBe(code);
  if (reason !== undefined) expect(failureReason(e)).toBe(reason);
  return e;
}
