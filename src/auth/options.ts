// Authentication settings: the guide's `security.authentication` keys plus
// two inline-key options, resolved against the HATAGO_AUTH_* environment.
//
// Precedence: an explicit option wins; an environment variable fills only a
// setting the options leave out (undefined or ''). This keeps a config file
// authoritative while letting a deployment inject secrets by env alone.

import { familyOf } from './algorithms.js';
import { parseDuration } from './duration.js';
import { authConfigInvalid } from './errors.js';
import type { OAuth2ProviderOptions } from './oauth2/options.js';

export interface AuthenticationOptions {
  /** Whether requests must carry a token. Default true. */
  enabled?: boolean;
  /** 'jwt' (default): hatago's own tokens; 'oauth2': access tokens from an OAuth 2.0 provider (docs/oauth2.md). */
  type?: 'jwt' | 'oauth2';
  /** HMAC secret for HS256/384/512 (UTF-8, at least as many bytes as the hash). Undefined or '': HATAGO_AUTH_SECRET. */
  secret?: string | undefined;
  /** Accepted (and signing) algorithms in order of preference. Default: derived from the keys. */
  algorithms?: string[];
  /** Lifetime of generated tokens: '24h', '30m', '45s', '7d' or seconds. Default '1h'. */
  expiresIn?: string | number;
  /** Required `iss` of verified tokens, set as `iss` on generated ones. */
  issuer?: string;
  /** Accepted `aud` values (one must match), set as `aud` on generated ones. */
  audience?: string | string[];
  /** Seconds of allowed clock skew for exp, nbf and iat. Default 0. */
  clockTolerance?: number;
  /** PEM file of the private key (RSA or EC; PKCS#8, PKCS#1 or SEC1). */
  privateKeyPath?: string;
  /** PEM file of the public key (SPKI or PKCS#1). */
  publicKeyPath?: string;
  /** Inline PEM private key (instead of privateKeyPath). */
  privateKey?: string;
  /** Inline PEM public key (instead of publicKeyPath). */
  publicKey?: string;
  /** Longest accepted token, in bytes. Default 8192. */
  maxTokenBytes?: number;
  /** The OAuth 2.0 provider, for type 'oauth2' (docs/oauth2.md); unused by 'jwt'. */
  provider?: OAuth2ProviderOptions;
  /** Clock, for tests. Default () => new Date(). */
  now?: () => Date;
  /** Environment to read HATAGO_AUTH_* from. Default process.env. */
  env?: Record<string, string | undefined>;
}

export const ENV = {
  secret: 'HATAGO_AUTH_SECRET',
  privateKeyPath: 'HATAGO_AUTH_PRIVATE_KEY_PATH',
  publicKeyPath: 'HATAGO_AUTH_PUBLIC_KEY_PATH',
  expiresIn: 'HATAGO_AUTH_EXPIRES_IN',
  issuer: 'HATAGO_AUTH_ISSUER',
} as const;

export const DEFAULT_EXPIRES_IN = '1h';
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** Where a key comes from: inline PEM or a file path (read later, once). */
export type KeySource = { pem: string; from: string } | { path: string; from: string };

export interface ResolvedAuthOptions {
  enabled: boolean;
  secret?: string;
  privateKey?: KeySource;
  publicKey?: KeySource;
  /** Explicit list, validated; undefined means "derive from the keys". */
  algorithms?: string[];
  expiresInSeconds: number;
  issuer?: string;
  audience?: string[];
  clockTolerance: number;
  maxTokenBytes: number;
  now: () => Date;
}

function present(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function keySource(inline: string | undefined, path: string | undefined, envPath: string | undefined, what: string): KeySource | undefined {
  const pem = present(inline);
  const file = present(path);
  if (pem !== undefined && file !== undefined) {
    throw authConfigInvalid(`set either ${what}Key or ${what}KeyPath, not both`);
  }
  if (pem !== undefined) return { pem, from: `${what}Key` };
  if (file !== undefined) return { path: file, from: `${what}KeyPath` };
  const fromEnv = present(envPath);
  const envName = what === 'private' ? ENV.privateKeyPath : ENV.publicKeyPath;
  return fromEnv === undefined ? undefined : { path: fromEnv, from: envName };
}

/** Validates the options and fills gaps from the environment. Reads no files. */
export function resolveAuthOptions(opts: AuthenticationOptions = {}): ResolvedAuthOptions {
  const env = opts.env ?? process.env;
  if (opts.type !== undefined && opts.type !== 'jwt') {
    // 'oauth2' never reaches here: AuthenticationManager.create builds a resource server for it.
    throw authConfigInvalid(`type '${String(opts.type)}' is not supported here (only 'jwt'; 'oauth2' goes through AuthenticationManager.create)`);
  }

  let algorithms: string[] | undefined;
  if (opts.algorithms !== undefined) {
    if (!Array.isArray(opts.algorithms) || opts.algorithms.length === 0) {
      throw authConfigInvalid('algorithms must be a non-empty array');
    }
    for (const alg of opts.algorithms) {
      if (typeof alg !== 'string' || familyOf(alg) === undefined) {
        // Covers 'none' too: it is not in the table, so it can never be accepted.
        throw authConfigInvalid(`algorithm '${String(alg)}' is not supported`);
      }
    }
    algorithms = [...new Set(opts.algorithms)];
  }

  const expiresInRaw = opts.expiresIn ?? present(env[ENV.expiresIn]) ?? DEFAULT_EXPIRES_IN;
  const expiresInSeconds = parseDuration(expiresInRaw);
  if (expiresInSeconds === undefined) throw authConfigInvalid(`expiresIn '${String(expiresInRaw)}' is not a duration`);

  const clockTolerance = opts.clockTolerance ?? 0;
  if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw authConfigInvalid('clockTolerance must be a non-negative number of seconds');
  }

  const maxTokenBytes = opts.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (!Number.isSafeInteger(maxTokenBytes) || maxTokenBytes <= 0) {
    throw authConfigInvalid('maxTokenBytes must be a positive integer');
  }

  let audience: string[] | undefined;
  if (opts.audience !== undefined) {
    audience = typeof opts.audience === 'string' ? [opts.audience] : opts.audience;
    if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) {
      throw authConfigInvalid('audience must be a non-empty string or array of non-empty strings');
    }
  }

  const resolved: ResolvedAuthOptions = {
    enabled: opts.enabled ?? true,
    expiresInSeconds,
    clockTolerance,
    maxTokenBytes,
    now: opts.now ?? (() => new Date()),
  };
  const secret = present(opts.secret) ?? present(env[ENV.secret]);
  if (secret !== undefined) resolved.secret = secret;
  const issuer = present(opts.issuer) ?? present(env[ENV.issuer]);
  if (issuer !== undefined) resolved.issuer = issuer;
  if (audience !== undefined) resolved.audience = audience;
  if (algorithms !== undefined) resolved.algorithms = algorithms;
  const priv = keySource(opts.privateKey, opts.privateKeyPath, env[ENV.privateKeyPath], 'private');
  if (priv !== undefined) resolved.privateKey = priv;
  const pub = keySource(opts.publicKey, opts.publicKeyPath, env[ENV.publicKeyPath], 'public');
  if (pub !== undefined) resolved.publicKey = pub;
  return resolved;
}
