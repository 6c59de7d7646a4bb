// The verified-token cache of AuthenticationManager: a token verified once
// is not verified again until its exp, keyed by the token's hash, bounded;
// revocation is still asked on every request, and an expired token is
// refused although it was cached. A real manager, real tokens, the real
// in-memory revocation store and a clock the test moves.
import { describe, expect, it } from '@jest/globals';
import { AuthenticationManager } from '../../src/auth/index.js';
import { MemoryRevokedTokenStore } from '../../src/auth/revocation/index.js';
import { VERIFIED_TOKEN_CACHE_SIZE } from '../../src/auth/verified-token-cache.js';
import { NO_ENV, NOW_S, SECRET, expectAuthError } from './fixtures.js';

function clocked(opts: { clockTolerance?: number; cacheSize?: number } = {}) {
  let t = NOW_S;
  const revoked = new MemoryRevokedTokenStore({ now: () => t * 1000 });
  const m = new AuthenticationManager(
    { secret: SECRET, expiresIn: '60s', now: () => new Date(t * 1000), env: NO_ENV, ...(opts.clockTolerance !== undefined && { clockTolerance: opts.clockTolerance }) },
    { revoked, ...(opts.cacheSize !== undefined && { verifiedTokenCacheSize: opts.cacheSize }) },
  );
  return { m, revoked, advance: (s: number) => (t += s), close: () => revoked.close() };
}

describe('verified-token cache', () => {
  it('keeps a verified token, and answers the same principal from it (a copy: changing it changes nothing)', async () => {
    const { m, close } = clocked();
    const token = m.generateToken({ sub: 'alice', roles: ['user'] });
    expect(m.cachedTokens).toBe(0);
    const first = await m.verifyToken(token);
    expect(m.cachedTokens).toBe(1);
    first.roles.push('admin');
    first.sub = 'mallory';
    const second = await m.verifyToken(token);
    expect(second).toMatchObject({ sub: 'alice', roles: ['user'] });
    expect(m.cachedTokens).toBe(1);
    close();
  });

  it('a revoked token is refused although it is cached (ERR_TOKEN_INVALID, revoked)', async () => {
    const { m, revoked, close } = clocked();
    const token = m.generateToken({ sub: 'alice', roles: ['user'] });
    const p = await m.verifyToken(token);
    expect(m.cachedTokens).toBe(1);
    await revoked.revoke(p.claims.jti as string, (NOW_S + 60) * 1000);
    const err = await expectAuthError(m.verifyToken(token), 'ERR_TOKEN_INVALID', 'revoked');
    expect(err.message).toBe('Invalid token');
    close();
  });

  it('an expired token is refused although it was cached (ERR_TOKEN_EXPIRED), and leaves the cache', async () => {
    const { m, advance, close } = clocked();
    const token = m.generateToken({ sub: 'alice', roles: ['user'] });
    await m.verifyToken(token);
    advance(59);
    await expect(m.verifyToken(token)).resolves.toMatchObject({ sub: 'alice' }); // exp is NOW+60: still valid
    advance(1);
    const err = await expectAuthError(m.verifyToken(token), 'ERR_TOKEN_EXPIRED', 'expired');
    expect(err.message).toBe('Token expired');
    expect(m.cachedTokens).toBe(0);
    close();
  });

  it('with clockTolerance, a cached token holds as long as verification would accept it, and no longer', async () => {
    const { m, advance, close } = clocked({ clockTolerance: 5 });
    const token = m.generateToken({ sub: 'alice', roles: ['user'] });
    await m.verifyToken(token);
    advance(64);
    await expect(m.verifyToken(token)).resolves.toMatchObject({ sub: 'alice' });
    advance(1);
    await expectAuthError(m.verifyToken(token), 'ERR_TOKEN_EXPIRED', 'expired');
    close();
  });

  it('a refused token is never kept', async () => {
    const { m, close } = clocked();
    const token = m.generateToken({ sub: 'alice', roles: ['user'] });
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectAuthError(m.verifyToken(forged), 'ERR_TOKEN_INVALID');
    await expectAuthError(m.verifyToken(forged), 'ERR_TOKEN_INVALID');
    expect(m.cachedTokens).toBe(0);
    close();
  });

  it('is bounded: past its size the token verified longest ago leaves (and is verified anew when it comes back)', async () => {
    const { m, close } = clocked({ cacheSize: 2 });
    const tokens = ['a', 'b', 'c'].map((sub) => m.generateToken({ sub, roles: ['user'] }));
    for (const t of tokens) await m.verifyToken(t);
    expect(m.cachedTokens).toBe(2);
    await expect(m.verifyToken(tokens[0]!)).resolves.toMatchObject({ sub: 'a' });
    expect(m.cachedTokens).toBe(2);
    close();
  });

  it('size 0 keeps nothing; the default bound is 10,000 tokens', async () => {
    const { m, close } = clocked({ cacheSize: 0 });
    await m.verifyToken(m.generateToken({ sub: 'alice', roles: ['user'] }));
    expect(m.cachedTokens).toBe(0);
    expect(VERIFIED_TOKEN_CACHE_SIZE).toBe(10_000);
    close();
  });
});
