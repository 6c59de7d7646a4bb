// scrypt password hashes: format, parameters in the string, verification,
// and the config user store that refuses anything but a hash.
import { describe, expect, it } from '@jest/globals';
import { ConfigUserStore, PasswordAuthenticator, costliestParams, hashPassword, parsePasswordHash, verifyPassword, type ParsedHash, type ScryptParams } from '../../../src/auth/users/index.js';
import { HatagoError } from '../../../src/errors/index.js';

// Cheap parameters keep the suite fast; the format carries them, so verification follows.
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('writes the algorithm, every parameter, the salt and the key into the string', async () => {
    const hash = await hashPassword('correct horse', FAST);
    expect(hash).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it('uses the defaults when no parameters are given', async () => {
    expect(await hashPassword('x')).toMatch(/^scrypt\$N=32768,r=8,p=1\$/);
  });

  it('salts: two hashes of one password differ, both verify', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', parsePasswordHash(a)!)).toBe(true);
    expect(await verifyPassword('same', parsePasswordHash(b)!)).toBe(true);
  });

  it('refuses a wrong password, a prefix of it, and the empty string', async () => {
    const h = parsePasswordHash(await hashPassword('correct horse', FAST))!;
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(await verifyPassword('Correct horse', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });

  it('verifies with the parameters in the string, whatever the defaults are', async () => {
    const h = await hashPassword('pw', { N: 2048, r: 4, p: 2 });
    expect(h.startsWith('scrypt$N=2048,r=4,p=2$')).toBe(true);
    expect(await verifyPassword('pw', parsePasswordHash(h)!)).toBe(true);
  });

  it('treats canonically equal Unicode passwords as one (NFC)', async () => {
    const h = parsePasswordHash(await hashPassword('caf\u00e9', FAST))!;
    expect(await verifyPassword('cafe\u0301', h)).toBe(true);
  });

  it('refuses parameters out of range and an empty password', async () => {
    await expect(hashPassword('pw', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/power of two/);
    await expect(hashPassword('pw', { N: 2 ** 21, r: 8, p: 1 })).rejects.toThrow(/N must/);
    await expect(hashPassword('pw', { N: 1024, r: 0, p: 1 })).rejects.toThrow(/r must/);
    await expect(hashPassword('', FAST)).rejects.toThrow(/non-empty/);
  });
});

describe('parsePasswordHash', () => {
  it.each([
    ['a plain password', 'hunter2'],
    ['another algorithm', 'bcrypt$N=1024,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5'],
    ['missing parameters', 'scrypt$$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5'],
    ['N not a power of two', 'scrypt$N=1000,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5'],
    ['N too large (memory)', 'scrypt$N=4194304,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5'],
    ['a short salt', 'scrypt$N=1024,r=8,p=1$c2Fs$a2V5a2V5a2V5a2V5a2V5a2V5'],
    ['a short key', 'scrypt$N=1024,r=8,p=1$c2FsdHNhbHQ$a2V5'],
    ['not base64url', 'scrypt$N=1024,r=8,p=1$c2Fsd+NhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5'],
    ['extra fields', 'scrypt$N=1024,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5$x'],
  ])('refuses %s', (_name, text) => {
    expect(parsePasswordHash(text)).toBeUndefined();
  });
});

describe('ConfigUserStore', () => {
  it('refuses a plain password without echoing it', () => {
    let err: unknown;
    try {
      new ConfigUserStore({ alice: { passwordHash: 'hunter2-secret' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_CONFIG_INVALID');
    expect(String((err as HatagoError).detail)).toContain('alice.passwordHash');
    expect(String((err as HatagoError).detail)).not.toContain('hunter2-secret');
  });

  it('refuses bad roles, permissions and ids', async () => {
    const passwordHash = await hashPassword('pw', FAST);
    const code = (users: Record<string, unknown>) => {
      try {
        new ConfigUserStore(users as never);
        return 'none';
      } catch (e) {
        return (e as HatagoError).code;
      }
    };
    expect(code({ a: { passwordHash, roles: 'admin' } })).toBe('ERR_CONFIG_INVALID');
    expect(code({ a: { passwordHash, permissions: [''] } })).toBe('ERR_CONFIG_INVALID');
    expect(code({ a: { passwordHash, id: '' } })).toBe('ERR_CONFIG_INVALID');
    expect(code({ a: { passwordHash, roles: ['user'], id: 'u-1' } })).toBe('none');
  });

  it('maps a user to its token identity: sub is the id, else the username', async () => {
    const passwordHash = await hashPassword('pw', FAST);
    const store = new ConfigUserStore({ alice: { passwordHash, roles: ['user'], permissions: ['mcp:tools'] }, bob: { passwordHash, id: 'user-42' } });
    expect(store.find('alice')).toMatchObject({ username: 'alice', sub: 'alice', roles: ['user'], permissions: ['mcp:tools'], disabled: false });
    expect(store.find('bob')).toMatchObject({ username: 'bob', sub: 'user-42', roles: [], disabled: false });
    expect(store.find('bob')?.permissions).toBeUndefined();
    expect(store.find('carol')).toBeUndefined();
    expect(store.hashParams()).toEqual([FAST, FAST]);
  });
});

describe('PasswordAuthenticator', () => {
  it('names the cause of each failure for the log, and admits the right password', async () => {
    const passwordHash = await hashPassword('right', FAST);
    const auth = await PasswordAuthenticator.create(new ConfigUserStore({ alice: { passwordHash, roles: ['user'] }, dave: { passwordHash, disabled: true } }));
    expect(await auth.check('alice', 'right')).toMatchObject({ ok: true, user: { sub: 'alice' } });
    expect(await auth.check('alice', 'wrong')).toEqual({ ok: false, reason: 'bad_password' });
    expect(await auth.check('mallory', 'right')).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await auth.check('dave', 'right')).toEqual({ ok: false, reason: 'disabled' });
    expect(await auth.check('dave', 'wrong')).toEqual({ ok: false, reason: 'bad_password' });
  });

  it('works with no users at all (every login fails)', async () => {
    const auth = await PasswordAuthenticator.create(new ConfigUserStore(undefined));
    expect(await auth.check('anyone', 'pw')).toEqual({ ok: false, reason: 'unknown_user' });
  });
});

describe('the dummy hash of unknown users (constant-time login)', () => {
  it('costliestParams picks the largest N*r*p, on a tie the most memory', () => {
    expect(costliestParams([])).toBeUndefined();
    expect(costliestParams([FAST, { N: 4096, r: 8, p: 1 }, { N: 2048, r: 8, p: 1 }])).toEqual({ N: 4096, r: 8, p: 1 });
    expect(costliestParams([{ N: 1024, r: 8, p: 4 }, { N: 4096, r: 8, p: 1 }])).toEqual({ N: 4096, r: 8, p: 1 });
    expect(costliestParams([{ N: 1024, r: 16, p: 4 }, { N: 4096, r: 8, p: 1 }])).toEqual({ N: 1024, r: 16, p: 4 });
  });

  it('an unknown user runs scrypt with the costliest configured parameters, whatever the order of the users', async () => {
    const cheap = await hashPassword('pw', FAST);
    const dear = await hashPassword('pw', { N: 4096, r: 8, p: 1 });
    const seen: ScryptParams[] = [];
    const verify = (password: string, hash: ParsedHash) => {
      seen.push({ ...hash.params });
      return verifyPassword(password, hash);
    };
    // The cheap user first: a dummy taken from "any configured hash" would be the cheap one.
    const users = new ConfigUserStore({ first: { passwordHash: cheap }, second: { passwordHash: dear }, gone: { passwordHash: cheap, disabled: true } });
    const auth = await PasswordAuthenticator.create(users, { verify });
    expect(auth.dummyParams).toEqual({ N: 4096, r: 8, p: 1 });
    expect(auth.costsDiffer).toBe(true);

    expect(await auth.check('mallory', 'pw')).toEqual({ ok: false, reason: 'unknown_user' });
    expect(seen).toEqual([{ N: 4096, r: 8, p: 1 }]);
    // Known users (disabled ones too) run their own hash: a full scrypt each, never skipped.
    expect(await auth.check('first', 'pw')).toMatchObject({ ok: true });
    expect(await auth.check('gone', 'pw')).toEqual({ ok: false, reason: 'disabled' });
    expect(seen).toEqual([{ N: 4096, r: 8, p: 1 }, FAST, FAST]);
  });

  it('uses the defaults without users, and says when all hashes cost the same', async () => {
    expect((await PasswordAuthenticator.create(new ConfigUserStore(undefined))).dummyParams).toEqual({ N: 32768, r: 8, p: 1 });
    const same = await PasswordAuthenticator.create(new ConfigUserStore({ a: { passwordHash: await hashPassword('x', FAST) }, b: { passwordHash: await hashPassword('y', FAST) } }));
    expect(same.costsDiffer).toBe(false);
    expect(same.dummyParams).toEqual(FAST);
  });
});
