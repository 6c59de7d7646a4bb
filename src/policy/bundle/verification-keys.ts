// Bundle format: the configured bundle-signing keys, parsed once at start-up.
// Each key belongs to one algorithm family and can verify nothing else: an
// HS key is a shared secret (never a PEM), an RS/PS/ES key is a PEM public
// key (or certificate) of the matching type and curve.
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { BundleVerificationSettings } from '../../config/types.js';
import { HatagoError } from '../../errors/index.js';

export const BUNDLE_SIGNING_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
] as const;
export type BundleSigningAlgorithm = (typeof BUNDLE_SIGNING_ALGORITHMS)[number];

/** `policies.verification` as configured. */
export type BundleVerificationConfig = BundleVerificationSettings;

export interface VerificationKey {
  readonly id: string;
  readonly algorithm: BundleSigningAlgorithm;
  readonly key: KeyObject | Uint8Array;
  readonly scope?: string;
}

export interface VerificationKeys {
  readonly keys: ReadonlyMap<string, VerificationKey>;
  readonly keyId?: string;
  readonly scope?: string;
  readonly required: boolean;
}

const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

function invalid(message: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_CONFIG_INVALID', { message: `policies.verification: ${message}`, cause });
}

function publicKey(id: string, pem: string): KeyObject {
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(pem).publicKey;
    return createPublicKey(pem);
  } catch (err) {
    throw invalid(`key "${id}" is not a PEM public key or certificate`, err);
  }
}

function prepareKey(id: string, spec: { algorithm: string; key: string; scope?: string }): VerificationKey {
  const algorithm = spec.algorithm as BundleSigningAlgorithm;
  if (!BUNDLE_SIGNING_ALGORITHMS.includes(algorithm)) {
    throw invalid(`key "${id}" has unsupported algorithm "${spec.algorithm}" (one of ${BUNDLE_SIGNING_ALGORITHMS.join(', ')})`);
  }
  if (typeof spec.key !== 'string' || spec.key === '') throw invalid(`key "${id}" is empty`);
  const isPem = spec.key.includes('-----BEGIN ');
  const scope = spec.scope !== undefined ? { scope: spec.scope } : {};
  if (algorithm.startsWith('HS')) {
    if (isPem) throw invalid(`key "${id}" is ${algorithm} (a shared secret) but holds a PEM key`);
    return { id, algorithm, key: new TextEncoder().encode(spec.key), ...scope };
  }
  if (!isPem) throw invalid(`key "${id}" is ${algorithm}: it needs a PEM public key or certificate`);
  if (spec.key.includes('PRIVATE KEY')) throw invalid(`key "${id}" is a private key: configure the public key`);
  const key = publicKey(id, spec.key);
  const type = key.asymmetricKeyType;
  if (algorithm.startsWith('ES')) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== 'ec' || curve !== EC_CURVES[algorithm]) {
      throw invalid(`key "${id}" is ${algorithm} but holds a ${type ?? 'unknown'}${curve ? ` (${curve})` : ''} key`);
    }
  } else if (type !== 'rsa' && !(algorithm.startsWith('PS') && type === 'rsa-pss')) {
    throw invalid(`key "${id}" is ${algorithm} but holds a ${type ?? 'unknown'} key`);
  }
  return { id, algorithm, key, ...scope };
}

/** Parses `policies.verification`. Throws ERR_CONFIG_INVALID naming the bad key. */
export function prepareVerificationKeys(config: BundleVerificationConfig): VerificationKeys {
  const keys = new Map<string, VerificationKey>();
  for (const [id, spec] of Object.entries(config.keys ?? {})) keys.set(id, prepareKey(id, spec));
  if (keys.size === 0) throw invalid('no keys configured');
  if (config.keyId !== undefined && !keys.has(config.keyId)) throw invalid(`keyId "${config.keyId}" is not among the keys`);
  return {
    keys,
    required: config.required !== false,
    ...(config.keyId !== undefined && { keyId: config.keyId }),
    ...(config.scope !== undefined && { scope: config.scope }),
  };
}
