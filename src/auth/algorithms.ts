// Which key family each JWS algorithm may use. This table is what stops
// algorithm confusion: a token's `alg` picks the family, and a key is only
// ever used with algorithms of its own family (an RSA/EC public key is never
// an HMAC secret, an HMAC secret is never tried for RS256).

export type KeyFamily =
  | { kind: 'secret'; minBytes: number }
  | { kind: 'rsa' }
  | { kind: 'ec'; curve: 'prime256v1' | 'secp384r1' | 'secp521r1' };

export const ALGORITHM_FAMILIES: Readonly<Record<string, KeyFamily>> = {
  // RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
  HS256: { kind: 'secret', minBytes: 32 },
  HS384: { kind: 'secret', minBytes: 48 },
  HS512: { kind: 'secret', minBytes: 64 },
  RS256: { kind: 'rsa' },
  RS384: { kind: 'rsa' },
  RS512: { kind: 'rsa' },
  PS256: { kind: 'rsa' },
  PS384: { kind: 'rsa' },
  PS512: { kind: 'rsa' },
  ES256: { kind: 'ec', curve: 'prime256v1' },
  ES384: { kind: 'ec', curve: 'secp384r1' },
  ES512: { kind: 'ec', curve: 'secp521r1' },
};

export function familyOf(alg: string): KeyFamily | undefined {
  return Object.hasOwn(ALGORITHM_FAMILIES, alg) ? ALGORITHM_FAMILIES[alg] : undefined;
}
