// Round trips through generateToken/verifyToken with every key family, keys
// read from PEM files via options and via HATAGO_AUTH_* variables.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AuthenticationManager } from '../../src/auth/index.js';
import { NO_ENV, NOW_S, SECRET, at, expectAuthError, makeKeyFiles, now, type KeyFiles } from './fixtures.js';

let keys: KeyFiles;
beforeAll(async () => {
  keys = await makeKeyFiles();
});
afterAll(() => keys.cleanup());

const guideClaims = {
  sub: 'user-123',
  username: 'john.doe',
  roles: ['user', 'mcp-client'],
  permissions: ['mcp:tools', 'mcp:resources'],
  sessionId: 'session-456',
};

describe('round trips', () => {
  it('HS256 with the secret', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, expiresIn: '24h', now, env: NO_ENV });
    expect(m.algorithms).toEqual(['HS256']);
    expect(m.signingAlgorithm).toBe('HS256');
    const token = await m.generateToken(guideClaims);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const p = await m.verifyToken(token);
    expect(p).toMatchObject({ ...guideClaims });
    expect(p.claims).toMatchObject({ iat: NOW_S, exp: NOW_S + 86400 });
    expect(typeof p.claims.jti).toBe('string');
  });

  it('RS256 with PEM files given as options', async () => {
    const m = await AuthenticationManager.create({
      privateKeyPath: keys.rsa.privatePath,
      publicKeyPath: keys.rsa.publicPath,
      issuer: 'hatago-hub',
      audience: ['mcp-clients'],
      now,
      env: NO_ENV,
    });
    expect(m.algorithms).toEqual(['RS256']);
    const token = await m.generateToken(guideClaims);
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    expect(decodeJwt(token)).toMatchObject({ iss: 'hatago-hub', aud: 'mcp-clients' });
    await expect(m.verifyToken(token)).resolves.toMatchObject(guideClaims);
  });

  it('RS256 with PEM files from HATAGO_AUTH_*_KEY_PATH; a verify-only manager accepts the token', async () => {
    const env = { HATAGO_AUTH_PRIVATE_KEY_PATH: keys.rsa.privatePath, HATAGO_AUTH_PUBLIC_KEY_PATH: keys.rsa.publicPath };
    const signer = await AuthenticationManager.create({ algorithms: ['RS256'], now, env });
    const verifier = await AuthenticationManager.create({ now, env: { HATAGO_AUTH_PUBLIC_KEY_PATH: keys.rsa.publicPath } });
    expect(verifier.signingAlgorithm).toBeUndefined();
    const token = await signer.generateToken({ sub: 'svc' });
    await expect(verifier.verifyToken(token)).resolves.toMatchObject({ sub: 'svc', roles: [] });
    await expectAuthError(() => verifier.generateToken({ sub: 'svc' }), 'ERR_CONFIG_INVALID');
  });

  it('PS256 with the same RSA key', async () => {
    const m = await AuthenticationManager.create({ algorithms: ['PS256'], privateKeyPath: keys.rsa.privatePath, now, env: NO_ENV });
    const token = await m.generateToken({ sub: 'u' });
    expect(decodeProtectedHeader(token).alg).toBe('PS256');
    await expect(m.verifyToken(token)).resolves.toMatchObject({ sub: 'u' });
  });

  it('ES256 with PEM files; the public key is derived from the private one when absent', async () => {
    const m = await AuthenticationManager.create({ privateKeyPath: keys.ec.privatePath, now, env: NO_ENV });
    expect(m.algorithms).toEqual(['ES256']);
    const token = await m.generateToken({ sub: 'u', scope: ['a', 'b'] });
    const v = await AuthenticationManager.create({ publicKeyPath: keys.ec.publicPath, now, env: NO_ENV });
    await expect(v.verifyToken(token)).resolves.toMatchObject({ sub: 'u', scope: ['a', 'b'] });
  });

  it('inline PEM keys (privateKey/publicKey options)', async () => {
    const m = await AuthenticationManager.create({ privateKey: keys.ec.privatePem, publicKey: keys.ec.publicPem, now, env: NO_ENV });
    await expect(m.verifyToken(await m.generateToken({ sub: 'u' }))).resolves.toMatchObject({ sub: 'u' });
  });

  it('signs with the first configured algorithm that has a signing key; verifies all of them', async () => {
    const m = await AuthenticationManager.create({
      secret: SECRET,
      algorithms: ['ES256', 'RS256', 'HS256'],
      privateKeyPath: keys.rsa.privatePath,
      now,
      env: NO_ENV,
    });
    expect(m.signingAlgorithm).toBe('RS256');
    const hs = await AuthenticationManager.create({ secret: SECRET, now, env: NO_ENV });
    await expect(m.verifyToken(await hs.generateToken({ sub: 'h' }))).resolves.toMatchObject({ sub: 'h' });
    await expect(m.verifyToken(await m.generateToken({ sub: 'r' }))).resolves.toMatchObject({ sub: 'r' });
  });
});

describe('generateToken', () => {
  it('expiresIn per call: 30m, seconds, and the default 1h', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, now, env: NO_ENV });
    expect(decodeJwt(await m.generateToken({ sub: 'u' })).exp).toBe(NOW_S + 3600);
    expect(decodeJwt(await m.generateToken({ sub: 'u' }, { expiresIn: '30m' })).exp).toBe(NOW_S + 1800);
    expect(decodeJwt(await m.generateToken({ sub: 'u' }, { expiresIn: 90 })).exp).toBe(NOW_S + 90);
    await expectAuthError(() => m.generateToken({ sub: 'u' }, { expiresIn: 'soon' }), 'ERR_INVALID_PARAMS');
  });

  it('a generated token expires at exp on the frozen clock', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, expiresIn: '1h', now, env: NO_ENV });
    const token = await m.generateToken({ sub: 'u' });
    const justBefore = await AuthenticationManager.create({ secret: SECRET, now: at(NOW_S + 3599), env: NO_ENV });
    const atExp = await AuthenticationManager.create({ secret: SECRET, now: at(NOW_S + 3600), env: NO_ENV });
    await expect(justBefore.verifyToken(token)).resolves.toMatchObject({ sub: 'u' });
    await expectAuthError(atExp.verifyToken(token), 'ERR_TOKEN_EXPIRED', 'expired');
  });

  it('each token gets its own jti; extra claims pass through to Principal.claims', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, now, env: NO_ENV });
    const a = decodeJwt(await m.generateToken({ sub: 'u' }));
    const b = decodeJwt(await m.generateToken({ sub: 'u' }));
    expect(a.jti).not.toBe(b.jti);
    const p = await m.verifyToken(await m.generateToken({ sub: 'u', allowedServers: ['filesystem'] }));
    expect(p.claims.allowedServers).toEqual(['filesystem']);
  });

  it('refuses claims verify would reject, and signer-owned registered claims', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, now, env: NO_ENV });
    await expectAuthError(() => m.generateToken({} as { sub: string }), 'ERR_INVALID_PARAMS');
    await expectAuthError(() => m.generateToken({ sub: 'u', roles: 'admin' as unknown as string[] }), 'ERR_INVALID_PARAMS');
    await expectAuthError(() => m.generateToken({ sub: 'u', exp: NOW_S + 10 ** 9 }), 'ERR_INVALID_PARAMS');
    await expectAuthError(() => m.generateToken({ sub: 'u', iss: 'me' }), 'ERR_INVALID_PARAMS');
  });
});

describe('authenticate (header + verify)', () => {
  it('missing header, other scheme, bad bearer, good bearer', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, now, env: NO_ENV });
    await expectAuthError(m.authenticate(undefined), 'ERR_UNAUTHENTICATED');
    await expectAuthError(m.authenticate('Basic dXNlcjpwYXNz'), 'ERR_UNAUTHENTICATED');
    await expectAuthError(m.authenticate('Bearer a b'), 'ERR_TOKEN_INVALID', 'malformed');
    await expect(m.authenticate(`bearer ${await m.generateToken({ sub: 'u' })}`)).resolves.toMatchObject({ sub: 'u' });
  });
});
