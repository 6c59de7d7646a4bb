// Loads the configured keys once and imports them for exactly the
// algorithms of their own family. The result maps each accepted `alg` to the
// one key that may verify it; an `alg` with no key of its family has no
// entry, so it can never fall back to another key.
//
// Everything here is synchronous (node:crypto KeyObjects, one readFileSync
// per key file, once per manager): that lets `new AuthenticationManager()`
// load its keys on first use and generateToken return a string, as the guide
// shows. jose verifies with the same KeyObjects.

import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { familyOf, type KeyFamily } from './algorithms.js';
import { authConfigInvalid } from './errors.js';
import type { KeySource, ResolvedAuthOptions } from './options.js';

export type JoseKey = KeyObject;

export interface KeyRing {
  /** Accepted algorithms, in order of preference. */
  readonly algorithms: readonly string[];
  /** alg -> the only key that may verify it. */
  readonly verify: ReadonlyMap<string, JoseKey>;
  /** First accepted alg that has a signing key, with that key. */
  readonly signing?: { alg: string; key: JoseKey };
}

function readPem(src: KeySource): string {
  if ('pem' in src) return src.pem;
  try {
    return readFileSync(src.path, 'utf8');
  } catch (cause) {
    throw authConfigInvalid(`cannot read ${src.from} file '${src.path}'`, cause);
  }
}

function matches(key: KeyObject, family: KeyFamily): boolean {
  if (family.kind === 'rsa') return key.asymmetricKeyType === 'rsa';
  if (family.kind === 'ec') return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === family.curve;
  return false;
}

function checkAsymmetric(key: KeyObject, from: string): void {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    // jose refuses shorter RSA keys at use; refuse them at start-up instead.
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw authConfigInvalid(`${from}: RSA key must be 2048 bits or more`);
    return;
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'secp384r1' || curve === 'secp521r1') return;
    throw authConfigInvalid(`${from}: EC curve '${String(curve)}' is not supported (P-256, P-384, P-521)`);
  }
  throw authConfigInvalid(`${from}: key type '${String(type)}' is not supported (RSA or EC)`);
}

/** The algorithm a key implies when `algorithms` is not configured. */
function defaultAlgFor(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case 'secp384r1':
      return 'ES384';
    case 'secp521r1':
      return 'ES512';
    default:
      return 'ES256';
  }
}

/** loadKeyRingSync as a promise (a failure is a rejection). */
export async function loadKeyRing(opts: ResolvedAuthOptions): Promise<KeyRing> {
  return loadKeyRingSync(opts);
}

/** Reads and checks the configured keys. Throws ERR_CONFIG_INVALID. */
export function loadKeyRingSync(opts: ResolvedAuthOptions): KeyRing {
  let secret: Uint8Array | undefined;
  if (opts.secret !== undefined) {
    // A PEM pasted into `secret` is the classic algorithm-confusion setup.
    if (opts.secret.includes('-----BEGIN')) throw authConfigInvalid('secret looks like a PEM key; use publicKeyPath/privateKeyPath');
    secret = new TextEncoder().encode(opts.secret);
  }

  let privateKey: KeyObject | undefined;
  if (opts.privateKey !== undefined) {
    const pem = readPem(opts.privateKey);
    try {
      privateKey = createPrivateKey(pem);
    } catch (cause) {
      throw authConfigInvalid(`${opts.privateKey.from}: not a PEM private key`, cause);
    }
    checkAsymmetric(privateKey, opts.privateKey.from);
  }

  let publicKey: KeyObject | undefined;
  if (opts.publicKey !== undefined) {
    const pem = readPem(opts.publicKey);
    if (pem.includes('PRIVATE KEY')) throw authConfigInvalid(`${opts.publicKey.from}: holds a private key, expected a public key`);
    try {
      publicKey = createPublicKey(pem);
    } catch (cause) {
      throw authConfigInvalid(`${opts.publicKey.from}: not a PEM public key`, cause);
    }
    checkAsymmetric(publicKey, opts.publicKey.from);
    if (privateKey !== undefined) {
      const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
      if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' }))) {
        throw authConfigInvalid('the private and public keys are not a pair');
      }
    }
  } else if (privateKey !== undefined) {
    // A signer can always verify its own tokens.
    publicKey = createPublicKey(privateKey);
  }

  const algorithms = opts.algorithms ?? [
    ...(secret !== undefined ? ['HS256'] : []),
    ...(publicKey !== undefined ? [defaultAlgFor(publicKey)] : []),
  ];

  const verify = new Map<string, JoseKey>();
  let signing: KeyRing['signing'];
  for (const alg of algorithms) {
    const family = familyOf(alg);
    if (family === undefined) throw authConfigInvalid(`algorithm '${alg}' is not supported`);
    if (family.kind === 'secret') {
      if (secret === undefined) continue;
      if (secret.byteLength < family.minBytes) throw authConfigInvalid(`secret must be at least ${family.minBytes} bytes for ${alg}`);
      const hmac = createSecretKey(secret);
      verify.set(alg, hmac);
      signing ??= { alg, key: hmac };
      continue;
    }
    if (publicKey !== undefined && matches(publicKey, family)) verify.set(alg, publicKey);
    if (privateKey !== undefined && signing === undefined && matches(privateKey, family)) signing = { alg, key: privateKey };
  }

  if (opts.enabled && verify.size === 0) {
    throw authConfigInvalid(
      algorithms.length === 0
        ? `no key configured (set secret / HATAGO_AUTH_SECRET or publicKeyPath / HATAGO_AUTH_PUBLIC_KEY_PATH)`
        : `no configured key fits any of the algorithms ${algorithms.join(', ')}`,
    );
  }
  return signing === undefined ? { algorithms, verify } : { algorithms, verify, signing };
}
