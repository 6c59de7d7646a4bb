// RevokedTokenStore: memory (controlled clock) and Redis (a real redis-server
// started here), the same contract for both; an unreachable Redis is
// ERR_REVOCATION_UNAVAILABLE, and verifyToken fails closed on it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthenticationManager, failureReason } from '../../../src/auth/index.js';
import { MemoryRevokedTokenStore, RedisRevokedTokenStore, type RevokedTokenStore } from '../../../src/auth/revocation/index.js';
import { HatagoError } from '../../../src/errors/index.js';
import { freePort, spawnProcess, useProcessCleanup, type TestProcess } from '../../helpers/processes.js';

useProcessCleanup();

const SECRET = 'revocation-test-secret-0123456789-0123456789';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof HatagoError ? `${e.code}${e.detail === 'revoked' ? ':revoked' : ''}` : String(e);
  }
}

function contract(name: string, make: () => RevokedTokenStore) {
  describe(`${name}: the RevokedTokenStore contract`, () => {
    let store: RevokedTokenStore;
    beforeAll(() => {
      store = make();
    });
    afterAll(() => store.close());

    it('a jti is revoked once: the first revoke wins, later ones report it was already', async () => {
      const jti = `jti-${name}-1`;
      expect(await store.isRevoked(jti)).toBe(false);
      expect(await store.revoke(jti, Date.now() + 60_000)).toBe(true);
      expect(await store.isRevoked(jti)).toBe(true);
      expect(await store.revoke(jti, Date.now() + 60_000)).toBe(false);
    });

    it('of concurrent revokes of one jti exactly one wins', async () => {
      const jti = `jti-${name}-race`;
      const wins = await Promise.all(Array.from({ length: 10 }, () => store.revoke(jti, Date.now() + 60_000)));
      expect(wins.filter((w) => w)).toHaveLength(1);
    });

    it('other ids are unaffected', async () => {
      await store.revoke(`jti-${name}-a`, Date.now() + 60_000);
      expect(await store.isRevoked(`jti-${name}-b`)).toBe(false);
    });
  });
}

contract('memory', () => new MemoryRevokedTokenStore());

describe('memory: entries leave once the token has expired', () => {
  it('is revoked until exp, then forgotten (and swept)', async () => {
    let t = 1_000_000;
    const store = new MemoryRevokedTokenStore({ now: () => t });
    await store.revoke('a', t + 5000);
    await store.revoke('b', t + 10_000);
    t += 4999;
    expect(await store.isRevoked('a')).toBe(true);
    t += 1;
    expect(await store.isRevoked('a')).toBe(false);
    store.sweep();
    expect(store.size).toBe(1);
    t += 5000;
    store.sweep();
    expect(store.size).toBe(0);
    await store.close();
  });
});

describe('redis', () => {
  let redis: TestProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = spawnProcess('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']);
    await redis.waitForLine(/Ready to accept connections/);
  });
  afterAll(() => redis.kill());

  const make = () => new RedisRevokedTokenStore({ url: `redis://127.0.0.1:${port}`, prefix: `test:${process.pid}:` });
  contract('redis', () => make());

  it('two clients (two hubs) see one set of revocations', async () => {
    const a = make();
    const b = make();
    try {
      expect(await a.revoke('shared-jti', Date.now() + 60_000)).toBe(true);
      expect(await b.isRevoked('shared-jti')).toBe(true);
      expect(await b.revoke('shared-jti', Date.now() + 60_000)).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps an entry only until the token expires (PX)', async () => {
    const s = make();
    try {
      await s.revoke('ttl-jti', Date.now() + 60_000);
      const ttl = await s.redis.pttl(`test:${process.pid}:ttl-jti`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await s.close();
    }
  });
});

describe('an unreachable Redis', () => {
  it('answers ERR_REVOCATION_UNAVAILABLE (bounded by the command timeout, no hang), for revoke and for isRevoked', async () => {
    const s = new RedisRevokedTokenStore({ url: `redis://127.0.0.1:${await freePort()}` });
    try {
      expect(await codeOf(s.isRevoked('x'))).toBe('ERR_REVOCATION_UNAVAILABLE');
      expect(await codeOf(s.revoke('x', Date.now() + 1000))).toBe('ERR_REVOCATION_UNAVAILABLE');
    } finally {
      await s.close();
    }
  });
});

describe('AuthenticationManager with a revocation store', () => {
  it('refuses a revoked jti with ERR_TOKEN_INVALID (detail revoked); other tokens pass', async () => {
    const revoked = new MemoryRevokedTokenStore();
    const m = await AuthenticationManager.create({ secret: SECRET, env: {} }, { revoked });
    const t1 = await m.generateToken({ sub: 'alice' });
    const t2 = await m.generateToken({ sub: 'alice' });
    const p1 = await m.verifyToken(t1);
    await revoked.revoke(p1.claims.jti as string, (p1.claims.exp as number) * 1000);
    let err: unknown;
    try {
      await m.verifyToken(t1);
    } catch (e) {
      err = e;
    }
    expect((err as HatagoError).code).toBe('ERR_TOKEN_INVALID');
    expect(failureReason(err as HatagoError)).toBe('revoked');
    expect((await m.verifyToken(t2)).sub).toBe('alice');
    await revoked.close();
  });

  it('fails closed when the store cannot answer: ERR_REVOCATION_UNAVAILABLE, never the principal', async () => {
    const revoked = new RedisRevokedTokenStore({ url: `redis://127.0.0.1:${await freePort()}` });
    const m = await AuthenticationManager.create({ secret: SECRET, env: {} }, { revoked });
    try {
      expect(await codeOf(m.verifyToken(await m.generateToken({ sub: 'alice' })))).toBe('ERR_REVOCATION_UNAVAILABLE');
      // A bad token is refused for what it is, without asking the store.
      expect(await codeOf(m.verifyToken('not-a-token'))).toBe('ERR_TOKEN_INVALID');
    } finally {
      await revoked.close();
    }
  });
});
