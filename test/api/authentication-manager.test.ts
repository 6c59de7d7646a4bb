// The guide's `new AuthenticationManager({ secret, expiresIn }).generateToken(...)`:
// a public constructor that reads keys on first use, and a synchronous
// generateToken whose tokens an independent verifier (jose) accepts for every
// supported algorithm.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { ALGORITHM_FAMILIES } from '../../src/auth/index.js';
import { AuthenticationManager } from '../../src/security.js';
import { thrownBy } from '../helpers/errors.js';

const SECRET = 's'.repeat(64);
const NO_ENV = {};

function privateKeyFor(alg: string): string | undefined {
  const family = ALGORITHM_FAMILIES[alg]!;
  if (family.kind === 'secret') return undefined;
  const { privateKey } =
    family.kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: family.curve });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

describe('new AuthenticationManager(options)', () => {
  it('generateToken returns the token string itself (no promise) and it verifies', async () => {
    const m = new AuthenticationManager({ secret: SECRET, expiresIn: '24h', env: NO_ENV });
    const token = m.generateToken({ sub: 'user-123', roles: ['user'] });
    expect(typeof token).toBe('string');
    expect(token.split('.')).toHaveLength(3);
    const p = await m.verifyToken(token);
    expect(p).toMatchObject({ sub: 'user-123', roles: ['user'] });
    const c = decodeJwt(token);
    expect(c.exp! - c.iat!).toBe(86400);
    expect(typeof c.jti).toBe('string');
  });

  it('takes the secret from HATAGO_AUTH_SECRET when the option is undefined', async () => {
    const m = new AuthenticationManager({ secret: undefined, env: { HATAGO_AUTH_SECRET: SECRET } });
    const verifier = await AuthenticationManager.create({ secret: SECRET, env: NO_ENV });
    await expect(verifier.verifyToken(m.generateToken({ sub: 'e' }))).resolves.toMatchObject({ sub: 'e' });
  });

  it.each(Object.keys(ALGORITHM_FAMILIES))('%s: a synchronously signed token verifies with jose', async (alg) => {
    const privateKey = privateKeyFor(alg);
    const m = new AuthenticationManager({ algorithms: [alg], ...(privateKey ? { privateKey } : { secret: SECRET }), issuer: 'hatago-hub', audience: ['mcp-clients'], env: NO_ENV });
    expect(m.signingAlgorithm).toBe(alg);
    const token = m.generateToken({ sub: 'svc', scope: 'a b' });
    const key = privateKey ? createPublicKey(privateKey) : new TextEncoder().encode(SECRET);
    const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: [alg], issuer: 'hatago-hub', audience: 'mcp-clients' });
    expect(protectedHeader).toEqual({ alg, typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'svc', scope: 'a b' });
    await expect(m.verifyToken(token)).resolves.toMatchObject({ sub: 'svc' });
  });

  it('refuses bad options at once, with ERR_CONFIG_INVALID', () => {
    const e = thrownBy(() => new AuthenticationManager({ secret: SECRET, expiresIn: 'soon', env: NO_ENV }));
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    expect(e.message).toBe('Config is invalid');
    expect(e.detail).toContain("expiresIn 'soon' is not a duration");
  });

  it('reads keys on first use: a missing key file throws there, and create() rejects up front', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-authm-'));
    try {
      const opts = { privateKeyPath: path.join(dir, 'missing.pem'), env: NO_ENV };
      const m = new AuthenticationManager(opts);
      const e = thrownBy(() => m.generateToken({ sub: 'u' }));
      expect(e.code).toBe('ERR_CONFIG_INVALID');
      expect(e.message).toBe('Config is invalid');
      expect(e.detail).toContain('cannot read privateKeyPath file');
      await expect(AuthenticationManager.create(opts)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      // verifyToken fails closed with the same configuration error.
      await expect(m.verifyToken('a.b.c')).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a too short secret fails on first use with the minimum length', () => {
    const m = new AuthenticationManager({ secret: 'short', env: NO_ENV });
    const e = thrownBy(() => m.generateToken({ sub: 'u' }));
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    expect(e.message).toBe('Config is invalid');
    expect(e.detail).toContain('secret must be at least 32 bytes for HS256');
  });

  it('claims problems throw ERR_INVALID_PARAMS synchronously', () => {
    const m = new AuthenticationManager({ secret: SECRET, env: NO_ENV });
    const e = thrownBy(() => m.generateToken({ sub: 'u', exp: 1 }));
    expect(e.code).toBe('ERR_INVALID_PARAMS');
    expect(e.message).toBe('Invalid token claims: exp set by the signer, not the caller');
  });
});
