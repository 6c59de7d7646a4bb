// Every flavour of bad token, each with its exact code and reason. Real
// crypto throughout; the clock is frozen at NOW.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthenticationManager } from '../../src/auth/index.js';
import { toJsonRpcError } from '../../src/errors/index.js';
import {
  NO_ENV,
  NOW_S,
  SECRET,
  SECRET_BYTES,
  at,
  b64,
  claims,
  expectAuthError,
  hmacToken,
  json64,
  makeKeyFiles,
  now,
  signRaw,
  type KeyFiles,
} from './fixtures.js';

let keys: KeyFiles;
let hs: AuthenticationManager;

beforeAll(async () => {
  keys = await makeKeyFiles();
  hs = await AuthenticationManager.create({ secret: SECRET, algorithms: ['HS256'], now, env: NO_ENV });
});
afterAll(() => keys.cleanup());

describe('verifyToken: accepted', () => {
  it('accepts a good HS256 token and maps its claims', async () => {
    const token = await signRaw(claims({ username: 'john', roles: ['user'], scope: 'mcp:tools mcp:resources' }), SECRET_BYTES);
    const p = await hs.verifyToken(token);
    expect(p).toEqual({
      sub: 'user-123',
      username: 'john',
      roles: ['user'],
      scope: ['mcp:tools', 'mcp:resources'],
      claims: { iat: NOW_S, exp: NOW_S + 3600 },
    });
  });

  it('accepts a token expired less than clockTolerance ago', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, clockTolerance: 60, now, env: NO_ENV });
    const token = await signRaw(claims({ exp: NOW_S - 30 }), SECRET_BYTES);
    await expect(m.verifyToken(token)).resolves.toMatchObject({ sub: 'user-123' });
  });

  it('accepts nbf and iat within clockTolerance in the future', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, clockTolerance: 60, now, env: NO_ENV });
    const token = await signRaw(claims({ nbf: NOW_S + 30, iat: NOW_S + 30 }), SECRET_BYTES);
    await expect(m.verifyToken(token)).resolves.toMatchObject({ sub: 'user-123' });
  });
});

describe('verifyToken: rejected', () => {
  it('missing token: ERR_UNAUTHENTICATED', async () => {
    await expectAuthError(hs.verifyToken(''), 'ERR_UNAUTHENTICATED', 'missing');
    await expectAuthError(hs.verifyToken(undefined as unknown as string), 'ERR_UNAUTHENTICATED', 'missing');
  });

  it.each([
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['one part', 'abcdef'],
    ['empty header', '.e30.sig'],
    ['empty payload', `${json64({ alg: 'HS256' })}..sig`],
    ['bad base64 in header', 'ab*c.e30.sig'],
    ['bad base64 in payload', `${json64({ alg: 'HS256' })}.e3=0.sig`],
    ['impossible base64 length', `${json64({ alg: 'HS256' })}.e.sig`],
    ['header not JSON', `${b64('{alg:HS256')}.e30.sig`],
    ['header a JSON array', `${json64(['HS256'])}.e30.sig`],
    ['header not UTF-8', `${b64(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))}.e30.sig`],
    ['header without alg', `${json64({ typ: 'JWT' })}.e30.sig`],
  ])('malformed (%s): ERR_TOKEN_INVALID', async (_name, token) => {
    await expectAuthError(hs.verifyToken(token), 'ERR_TOKEN_INVALID', 'malformed');
  });

  it('b64:false (unencoded payload) is not a JWT: malformed', async () => {
    const token = hmacToken({ alg: 'HS256', b64: false, crit: ['b64'] }, claims(), SECRET);
    await expectAuthError(hs.verifyToken(token), 'ERR_TOKEN_INVALID', 'malformed');
  });

  it('unknown crit header: malformed', async () => {
    const token = hmacToken({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, claims(), SECRET);
    await expect(hs.verifyToken(hmacToken({ alg: 'HS256' }, claims(), SECRET))).resolves.toMatchObject({ sub: 'user-123' });
    await expectAuthError(hs.verifyToken(token), 'ERR_TOKEN_INVALID', 'malformed');
  });

  it.each(['none', 'None', 'NONE'])('alg %s: ERR_TOKEN_INVALID alg_none', async (alg) => {
    await expectAuthError(hs.verifyToken(`${json64({ alg })}.${json64(claims())}.`), 'ERR_TOKEN_INVALID', 'alg_none');
    await expectAuthError(hs.verifyToken(`${json64({ alg })}.${json64(claims())}.c2ln`), 'ERR_TOKEN_INVALID', 'alg_none');
  });

  it('algorithm not in the allowed list: alg_not_allowed', async () => {
    const token = await signRaw(claims(), keys.rsa.privateKey, { alg: 'RS256' });
    await expectAuthError(hs.verifyToken(token), 'ERR_TOKEN_INVALID', 'alg_not_allowed');
    const hs512 = await signRaw(claims(), new Uint8Array(64).fill(7), { alg: 'HS512' });
    await expectAuthError(hs.verifyToken(hs512), 'ERR_TOKEN_INVALID', 'alg_not_allowed');
  });

  describe('RS256 public key used as an HS256 secret (algorithm confusion)', () => {
    it('HS256 allowed but no secret: key_family_mismatch, the public key is never an HMAC key', async () => {
      const m = await AuthenticationManager.create({ algorithms: ['HS256', 'RS256'], publicKeyPath: keys.rsa.publicPath, now, env: NO_ENV });
      const forged = hmacToken({ alg: 'HS256', typ: 'JWT' }, claims({ roles: ['admin'] }), keys.rsa.publicPem);
      await expectAuthError(m.verifyToken(forged), 'ERR_TOKEN_INVALID', 'key_family_mismatch');
      // The genuine RS256 token still passes with the same manager.
      await expect(m.verifyToken(await signRaw(claims(), keys.rsa.privateKey, { alg: 'RS256' }))).resolves.toMatchObject({ sub: 'user-123' });
    });

    it('HS256 allowed with a secret: the forgery fails the signature check', async () => {
      const m = await AuthenticationManager.create({
        secret: SECRET,
        algorithms: ['HS256', 'RS256'],
        publicKeyPath: keys.rsa.publicPath,
        now,
        env: NO_ENV,
      });
      const forged = hmacToken({ alg: 'HS256' }, claims(), keys.rsa.publicPem);
      await expectAuthError(m.verifyToken(forged), 'ERR_TOKEN_INVALID', 'bad_signature');
    });

    it('only RS256 allowed: alg_not_allowed', async () => {
      const m = await AuthenticationManager.create({ algorithms: ['RS256'], publicKeyPath: keys.rsa.publicPath, now, env: NO_ENV });
      const forged = hmacToken({ alg: 'HS256' }, claims(), keys.rsa.publicPem);
      await expectAuthError(m.verifyToken(forged), 'ERR_TOKEN_INVALID', 'alg_not_allowed');
    });

    it('ES256 allowed but only an RSA key: key_family_mismatch', async () => {
      const m = await AuthenticationManager.create({ algorithms: ['RS256', 'ES256'], publicKeyPath: keys.rsa.publicPath, now, env: NO_ENV });
      const token = await signRaw(claims(), keys.ec.privateKey, { alg: 'ES256' });
      await expectAuthError(m.verifyToken(token), 'ERR_TOKEN_INVALID', 'key_family_mismatch');
    });
  });

  it('bad signature: wrong secret, tampered payload, empty signature', async () => {
    const wrong = await signRaw(claims(), new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'));
    await expectAuthError(hs.verifyToken(wrong), 'ERR_TOKEN_INVALID', 'bad_signature');

    const good = await signRaw(claims(), SECRET_BYTES);
    const [h, , s] = good.split('.');
    await expectAuthError(hs.verifyToken(`${h}.${json64(claims({ roles: ['admin'] }))}.${s}`), 'ERR_TOKEN_INVALID', 'bad_signature');
    await expectAuthError(hs.verifyToken(`${h}.${good.split('.')[1]}.`), 'ERR_TOKEN_INVALID', 'bad_signature');
  });

  it('RS256 signature by another key: bad_signature', async () => {
    const m = await AuthenticationManager.create({ publicKeyPath: keys.rsa.publicPath, now, env: NO_ENV });
    const other = await makeKeyFiles();
    try {
      await expectAuthError(m.verifyToken(await signRaw(claims(), other.rsa.privateKey, { alg: 'RS256' })), 'ERR_TOKEN_INVALID', 'bad_signature');
    } finally {
      await other.cleanup();
    }
  });

  it('expired: ERR_TOKEN_EXPIRED with a general reason', async () => {
    const e = await expectAuthError(hs.verifyToken(await signRaw(claims({ exp: NOW_S - 1 }), SECRET_BYTES)), 'ERR_TOKEN_EXPIRED', 'expired');
    expect(e.data).toEqual({ reason: 'expired' });
    // exp == now is already expired (RFC 7519: "on or after").
    await expectAuthError(hs.verifyToken(await signRaw(claims({ exp: NOW_S }), SECRET_BYTES)), 'ERR_TOKEN_EXPIRED', 'expired');
  });

  it('expired beyond clockTolerance: ERR_TOKEN_EXPIRED', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, clockTolerance: 60, now, env: NO_ENV });
    await expectAuthError(m.verifyToken(await signRaw(claims({ exp: NOW_S - 61 }), SECRET_BYTES)), 'ERR_TOKEN_EXPIRED', 'expired');
  });

  it('not yet valid (nbf in the future): not_yet_valid', async () => {
    await expectAuthError(hs.verifyToken(await signRaw(claims({ nbf: NOW_S + 1 }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'not_yet_valid');
  });

  it('iat in the future: iat_in_future', async () => {
    await expectAuthError(hs.verifyToken(await signRaw(claims({ iat: NOW_S + 1 }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'iat_in_future');
  });

  it('wrong or missing issuer: wrong_issuer', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, issuer: 'hatago-hub', now, env: NO_ENV });
    await expectAuthError(m.verifyToken(await signRaw(claims({ iss: 'evil' }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'wrong_issuer');
    await expectAuthError(m.verifyToken(await signRaw(claims(), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'wrong_issuer');
    await expect(m.verifyToken(await signRaw(claims({ iss: 'hatago-hub' }), SECRET_BYTES))).resolves.toMatchObject({ sub: 'user-123' });
  });

  it('wrong or missing audience: wrong_audience; one matching entry is enough', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, audience: ['mcp-clients', 'ops'], now, env: NO_ENV });
    await expectAuthError(m.verifyToken(await signRaw(claims({ aud: 'other' }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'wrong_audience');
    await expectAuthError(m.verifyToken(await signRaw(claims({ aud: ['x', 'y'] }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'wrong_audience');
    await expectAuthError(m.verifyToken(await signRaw(claims(), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'wrong_audience');
    await expectAuthError(m.verifyToken(await signRaw(claims({ aud: 42 }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'wrong_audience');
    await expect(m.verifyToken(await signRaw(claims({ aud: ['x', 'ops'] }), SECRET_BYTES))).resolves.toMatchObject({ sub: 'user-123' });
    await expect(m.verifyToken(await signRaw(claims({ aud: 'mcp-clients' }), SECRET_BYTES))).resolves.toMatchObject({ sub: 'user-123' });
  });

  it('oversized: refused before any parsing, at exactly maxTokenBytes + 1', async () => {
    const m = await AuthenticationManager.create({ secret: SECRET, maxTokenBytes: 512, now, env: NO_ENV });
    const token = await signRaw(claims({ pad: 'x'.repeat(600) }), SECRET_BYTES);
    await expectAuthError(m.verifyToken(token), 'ERR_TOKEN_INVALID', 'oversized');
    await expectAuthError(m.verifyToken('a'.repeat(513)), 'ERR_TOKEN_INVALID', 'oversized');
    await expectAuthError(m.verifyToken('a'.repeat(512)), 'ERR_TOKEN_INVALID', 'malformed');
    // Default limit is 8 KiB.
    await expectAuthError(hs.verifyToken(await signRaw(claims({ pad: 'x'.repeat(9000) }), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'oversized');
  });

  it('signed payload that is not JSON: payload_not_json', async () => {
    await expectAuthError(hs.verifyToken(await signRaw('not json at all', SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'payload_not_json');
    await expectAuthError(hs.verifyToken(await signRaw(new Uint8Array([0xff, 0x7b, 0x7d]), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'payload_not_json');
  });

  it.each([
    ['array', [claims()]],
    ['string', 'user-123'],
    ['number', 42],
    ['null', null],
  ])('signed payload that is a JSON %s: payload_not_json', async (_name, payload) => {
    await expectAuthError(hs.verifyToken(await signRaw(JSON.stringify(payload), SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'payload_not_json');
  });

  it.each([
    ['missing sub', { sub: undefined }],
    ['empty sub', { sub: '' }],
    ['numeric sub', { sub: 123 }],
    ['missing exp', { exp: undefined }],
    ['string exp', { exp: String(NOW_S + 3600) }],
    ['string nbf', { nbf: 'soon' }],
    ['string iat', { iat: 'now' }],
    ['roles as a string', { roles: 'admin' }],
    ['roles with a number', { roles: ['user', 1] }],
    ['roles with an empty string', { roles: [''] }],
    ['permissions as an object', { permissions: { all: true } }],
    ['scope as a number', { scope: 7 }],
    ['username as a number', { username: 7 }],
    ['sessionId as an array', { sessionId: ['a'] }],
  ])('bad claims (%s): bad_claims', async (_name, extra) => {
    const payload = claims(extra as Record<string, unknown>);
    for (const k of Object.keys(extra)) if ((extra as Record<string, unknown>)[k] === undefined) delete payload[k];
    await expectAuthError(hs.verifyToken(await signRaw(payload, SECRET_BYTES)), 'ERR_TOKEN_INVALID', 'bad_claims');
  });

  it('the signature is checked before the claims: an expired forgery is bad_signature, not expired', async () => {
    const forged = hmacToken({ alg: 'HS256' }, claims({ exp: NOW_S - 100 }), 'wrong-key');
    await expectAuthError(hs.verifyToken(forged), 'ERR_TOKEN_INVALID', 'bad_signature');
  });

  it('the client body carries the code and a general reason, never the detail', async () => {
    const e = await expectAuthError(hs.verifyToken(await signRaw(claims({ iat: NOW_S + 99 }), SECRET_BYTES)), 'ERR_TOKEN_INVALID');
    const { status, body } = toJsonRpcError(e, 1);
    expect(status).toBe(401);
    expect(body.error.data).toEqual({ code: 'ERR_TOKEN_INVALID', reason: 'invalid' });
    expect(JSON.stringify(body)).not.toContain('iat');
  });

  it('the clock is the injected one: a token valid now is expired an hour later', async () => {
    const token = await signRaw(claims(), SECRET_BYTES);
    const later = await AuthenticationManager.create({ secret: SECRET, now: at(NOW_S + 3600), env: NO_ENV });
    await expectAuthError(later.verifyToken(token), 'ERR_TOKEN_EXPIRED', 'expired');
  });
});

describe('verifyToken: log detail', () => {
  it('an attacker-chosen alg is quoted and cut in the detail', async () => {
    const alg = `X${'\n'.repeat(3)}${'A'.repeat(100)}`;
    const e = await expectAuthError(hs.verifyToken(`${json64({ alg })}.${json64(claims())}.c2ln`), 'ERR_TOKEN_INVALID', 'alg_not_allowed');
    expect(e.detail).not.toContain('\n');
    expect(e.detail!.length).toBeLessThan(80);
  });
});
