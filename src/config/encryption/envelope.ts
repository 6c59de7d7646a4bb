import { HatagoError } from '../../errors/index.js';

// The on-disk format of an encrypted config: one small JSON object. Version 1
// is AES-256-GCM; the key is scrypt(passphrase, salt) (`kdf: "scrypt"`) or a
// raw 32-byte key (`kdf: "none"`). Binary fields are base64.

export const ENVELOPE_MARK = 'encrypted-config';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export type EncryptedConfigEnvelope = {
  hatago: typeof ENVELOPE_MARK;
  v: 1;
  iv: string;
  tag: string;
  data: string;
} & ({ kdf: 'scrypt'; N: number; r: number; p: number; salt: string } | { kdf: 'none' });

/** OWASP's scrypt floor (N=2^15, r=8, p=1): about 32 MiB and tens of ms per derivation. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

// Bounds for params read from a file, so a crafted file cannot ask for gigabytes.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

/** True when a parsed JSON value claims to be an encrypted config (it may still be malformed). */
export function looksEncrypted(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { hatago?: unknown }).hatago === ENVELOPE_MARK;
}

/** Checks every field of an envelope; throws ERR_CONFIG_DECRYPT naming the bad one. */
export function parseEnvelope(value: unknown, source: string): EncryptedConfigEnvelope {
  const bad = (why: string) => new HatagoError('ERR_CONFIG_DECRYPT', { message: `Encrypted config ${source} is malformed: ${why}`, data: { path: source } });
  if (!looksEncrypted(value)) throw bad('not a hatago encrypted-config envelope');
  const e = value as Record<string, unknown>;
  if (e.v !== 1) throw bad(`unsupported version ${JSON.stringify(e.v)} (this hatago reads v 1)`);
  for (const f of ['iv', 'tag', 'data']) if (!isBase64(e[f])) throw bad(`"${f}" must be base64`);
  if (Buffer.from(e.iv as string, 'base64').length !== 12) throw bad('"iv" must be 12 bytes');
  if (Buffer.from(e.tag as string, 'base64').length !== 16) throw bad('"tag" must be 16 bytes');
  if (e.kdf === 'none') return e as EncryptedConfigEnvelope;
  if (e.kdf !== 'scrypt') throw bad(`unknown kdf ${JSON.stringify(e.kdf)} (expected "scrypt" or "none")`);
  if (!isBase64(e.salt) || Buffer.from(e.salt, 'base64').length < 16) throw bad('"salt" must be base64 of at least 16 bytes');
  const { N, r, p } = e;
  if (!isInt(N) || N < 2 || (N & (N - 1)) !== 0) throw bad('"N" must be a power of two');
  if (!isInt(r) || r < 1 || !isInt(p) || p < 1 || p > 16) throw bad('"r" and "p" must be positive integers (p at most 16)');
  if (128 * N * r > MAX_SCRYPT_MEMORY) throw bad(`scrypt parameters need more than ${MAX_SCRYPT_MEMORY / 1024 / 1024} MiB`);
  return e as EncryptedConfigEnvelope;
}

/** Additional authenticated data: everything but the ciphertext, so no header field can be changed unnoticed. */
export function envelopeAad(e: EncryptedConfigEnvelope): Buffer {
  const header = e.kdf === 'scrypt' ? [e.hatago, e.v, e.kdf, e.N, e.r, e.p, e.salt] : [e.hatago, e.v, e.kdf];
  return Buffer.from(JSON.stringify(header), 'utf8');
}

/** Memory limit handed to node:crypto's scrypt for these params (its default, 32 MiB, is just too small for N=2^15, r=8). */
export function scryptMaxmem(params: ScryptParams): number {
  return 128 * params.r * (params.N + params.p + 2) + 1024 * 1024;
}

function isBase64(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
