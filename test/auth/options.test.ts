// Settings: HATAGO_AUTH_* fill what the options leave out; explicit options
// win; bad settings refuse to start with ERR_CONFIG_INVALID.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { AuthenticationManager } from '../../src/auth/index.js';
import { NO_ENV, NOW_S, SECRET, expectAuthError, makeKeyFiles, now, type KeyFiles } from './fixtures.js';

let keys: KeyFiles;
beforeAll(async () => {
  keys = await makeKeyFiles();
});
afterAll(() => keys.cleanup());

describe('environment precedence', () => {
  it('env fills secret, issuer and expiresIn when the options leave them out', async () => {
    const env = { HATAGO_AUTH_SECRET: SECRET, HATAGO_AUTH_ISSUER: 'env-issuer', HATAGO_AUTH_EXPIRES_IN: '2h' };
    const m = await AuthenticationManager.create({ now, env });
    const c = decodeJwt(await m.generateToken({ sub: 'u' }));
    expect(c).toMatchObject({ iss: 'env-issuer', exp: NOW_S + 7200 });
  });

  it('explicit options win over env; empty strings count as unset', async () => {
    const env = { HATAGO_AUTH_SECRET: 'x'.repeat(40), HATAGO_AUTH_ISSUER: 'env-issuer', HATAGO_AUTH_EXPIRES_IN: '2h' };
    const m = await AuthenticationManager.create({ secret: SECRET, issuer: 'cfg-issuer', expiresIn: '5m', now, env });
    const token = await m.generateToken({ sub: 'u' });
    expect(decodeJwt(token)).toMatchObject({ iss: 'cfg-issuer', exp: NOW_S + 300 });
    // Signed with the option's secret, not the env one.
    const bySecret = await AuthenticationManager.create({ secret: SECRET, issuer: 'cfg-issuer', now, env: NO_ENV });
    await expect(bySecret.verifyToken(token)).resolves.toMatchObject({ sub: 'u' });

    const blank = await AuthenticationManager.create({ secret: '', issuer: '', now, env: { HATAGO_AUTH_SECRET: SECRET, HATAGO_AUTH_ISSUER: 'e' } });
    expect(decodeJwt(await blank.generateToken({ sub: 'u' })).iss).toBe('e');
  });

  it('an option key path wins over the env key path', async () => {
    const m = await AuthenticationManager.create({
      publicKeyPath: keys.ec.publicPath,
      now,
      env: { HATAGO_AUTH_PUBLIC_KEY_PATH: keys.rsa.publicPath },
    });
    expect(m.algorithms).toEqual(['ES256']);
  });

  it('the accepted config object (AuthenticationConfig) can be passed as it is', async () => {
    const config = { enabled: true, type: 'jwt' as const, secret: SECRET, algorithms: ['HS256', 'RS256'], expiresIn: '24h', issuer: 'hatago-hub', audience: ['mcp-clients'], clockTolerance: 60 };
    const m = await AuthenticationManager.create({ ...config, now, env: NO_ENV });
    expect(m.enabled).toBe(true);
    await expect(m.verifyToken(await m.generateToken({ sub: 'u' }))).resolves.toMatchObject({ sub: 'u' });
  });
});

describe('refuses to start on bad settings (ERR_CONFIG_INVALID)', () => {
  it.each([
    ['no key at all', {}],
    ["algorithm 'none'", { secret: SECRET, algorithms: ['none'] }],
    ['unknown algorithm', { secret: SECRET, algorithms: ['HS1024'] }],
    ['empty algorithm list', { secret: SECRET, algorithms: [] }],
    ['secret shorter than 32 bytes', { secret: 'short-secret' }],
    ['secret shorter than 64 bytes for HS512', { secret: SECRET, algorithms: ['HS512'] }],
    ['a PEM key pasted as the secret', { secret: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----' }],
    ['an oauth2 config mixed with a JWT secret', { type: 'oauth2', secret: SECRET }],
    ['an oauth2 config without a provider', { type: 'oauth2' }],
    ['bad expiresIn', { secret: SECRET, expiresIn: '1 week' }],
    ['negative clockTolerance', { secret: SECRET, clockTolerance: -1 }],
    ['zero maxTokenBytes', { secret: SECRET, maxTokenBytes: 0 }],
    ['empty audience', { secret: SECRET, audience: [] }],
    ['keys only for algorithms not listed', { secret: SECRET, algorithms: ['RS256'] }],
  ])('%s', async (_name, opts) => {
    await expectAuthError(AuthenticationManager.create({ ...(opts as object), now, env: NO_ENV }), 'ERR_CONFIG_INVALID');
  });

  it('missing key file', async () => {
    const e = await expectAuthError(AuthenticationManager.create({ publicKeyPath: join(keys.dir, 'nope.pem'), env: NO_ENV }), 'ERR_CONFIG_INVALID');
    expect(e.detail).toContain('nope.pem');
  });

  it('a private key in the public key file, or junk in a key file', async () => {
    await expectAuthError(AuthenticationManager.create({ publicKeyPath: keys.rsa.privatePath, env: NO_ENV }), 'ERR_CONFIG_INVALID');
    const junk = join(keys.dir, 'junk.pem');
    await writeFile(junk, 'not a key');
    await expectAuthError(AuthenticationManager.create({ publicKeyPath: junk, env: NO_ENV }), 'ERR_CONFIG_INVALID');
    await expectAuthError(AuthenticationManager.create({ privateKeyPath: junk, env: NO_ENV }), 'ERR_CONFIG_INVALID');
  });

  it('both an inline key and a key path', async () => {
    await expectAuthError(
      AuthenticationManager.create({ publicKey: keys.rsa.publicPem, publicKeyPath: keys.rsa.publicPath, env: NO_ENV }),
      'ERR_CONFIG_INVALID',
    );
  });

  it('a private and a public key that are not a pair', async () => {
    await expectAuthError(
      AuthenticationManager.create({ privateKeyPath: keys.ec.privatePath, publicKeyPath: keys.rsa.publicPath, env: NO_ENV }),
      'ERR_CONFIG_INVALID',
    );
  });

  it('an RSA key under 2048 bits, an unsupported curve, an Ed25519 key', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const publicKey of [small, k256, ed]) {
      await expectAuthError(AuthenticationManager.create({ publicKey, env: NO_ENV }), 'ERR_CONFIG_INVALID');
    }
  });

  it('disabled authentication needs no key', async () => {
    const m = await AuthenticationManager.create({ enabled: false, env: NO_ENV });
    expect(m.enabled).toBe(false);
    expect(m.algorithms).toEqual([]);
    await expectAuthError(() => m.generateToken({ sub: 'u' }), 'ERR_CONFIG_INVALID');
    await expectAuthError(m.verifyToken('a.b.c'), 'ERR_TOKEN_INVALID');
  });
});
