// The session index, both stores behind one interface, against a real
// redis-server for the Redis one: a record comes back as it went in; a
// request restarts the idle time and a session past it is gone; the caps
// hold when two replicas open at once; an ended session stays ended (an
// update cannot bring it back); the stream holder is released only by
// itself. With Redis gone every call fails closed with
// ERR_SESSION_STORE_UNAVAILABLE.
import { createRedisClient } from '../../src/util/redis-client.js';
import { FOREIGN, MemorySessionIndex, type SessionIndex, type SessionRecord } from '../../src/sessions/session-index.js';
import { RedisSessionIndex } from '../../src/sessions/redis-session-index.js';
import { HatagoError } from '../../src/errors/index.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from '../ratelimit/helpers.js';

useProcessCleanup();

let redis: RedisServer;
const opened: RedisSessionIndex[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const i of opened.splice(0)) await i.close();
  await redis.kill();
});

function redisIndex(): RedisSessionIndex {
  const i = new RedisSessionIndex(createRedisClient({ url: redis.url, commandTimeoutMs: 1000 }));
  opened.push(i);
  return i;
}

let n = 0;
const record = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  owner: 'alice', ownerKey: `alice-${n++}`, protocolVersion: '2025-11-25', capabilities: { sampling: {}, elicitation: { form: {} } },
  idleTimeoutMs: 60_000, replica: 'hub-a', stream: '', logLevel: 0, token: 'jti:one', ...over,
});
const CAPS = { maxTotal: 1000, maxPerPrincipal: 2 };


describe.each([
  ['memory', () => new MemorySessionIndex() as SessionIndex],
  ['redis', () => redisIndex() as SessionIndex],
])('%s session index', (_name, make) => {
  it('gives a record back as it went in; a request with another token says which token is the latest', async () => {
    const index = make();
    const r = record({ owner: null, ownerKey: 'anonymous:10.0.0.1' });
    expect(await index.open('s-roundtrip', r, CAPS)).toBeUndefined();
    expect(await index.peek('s-roundtrip')).toEqual(r);
    expect(await index.touch('s-roundtrip', { owner: null, token: 'jti:two' }, true)).toEqual({ ...r, token: 'jti:two' });
    // A keep-alive notes no token; the capabilities come only when asked (a copy being built) in Redis.
    expect(await index.touch('s-roundtrip')).toMatchObject({ ...r, token: 'jti:two', capabilities: expect.any(Object) });
    // Another principal's request is not the session's: nothing comes back, nothing changes.
    expect(await index.touch('s-roundtrip', { owner: 'mallory', token: 'jti:evil' })).toBe(FOREIGN);
    expect(await index.peek('s-roundtrip')).toEqual({ ...r, token: 'jti:two' });
    await index.update('s-roundtrip', { stream: 'hub-b', logLevel: 4 });
    expect(await index.peek('s-roundtrip')).toMatchObject({ stream: 'hub-b', logLevel: 4 });
    expect(await index.peek('s-unknown')).toBeUndefined();
    expect(await index.touch('s-unknown', { owner: 'alice', token: 'jti:x' })).toBeUndefined();
  });

  it('caps per principal and in all; an ended session frees its place', async () => {
    const index = make();
    const owner = record();
    expect(await index.open('c-1', owner, CAPS)).toBeUndefined();
    expect(await index.open('c-2', { ...owner }, CAPS)).toBeUndefined();
    expect(await index.open('c-3', { ...owner }, CAPS)).toEqual({ limit: 'per_principal', max: 2 });
    expect(await index.peek('c-3')).toBeUndefined();
    expect(await index.end('c-1')).toBe(true);
    expect(await index.end('c-1')).toBe(false);
    expect(await index.open('c-3', { ...owner }, CAPS)).toBeUndefined();
  });

  it('an ended session stays ended: neither an update nor a stream release brings it back', async () => {
    const index = make();
    const r = record();
    await index.open('e-1', r, CAPS);
    await index.end('e-1');
    await index.update('e-1', { stream: 'hub-b' });
    await index.releaseStream('e-1', 'hub-b');
    expect(await index.peek('e-1')).toBeUndefined();
    expect(await index.touch('e-1', { owner: 'alice', token: 'jti:one' })).toBeUndefined();
  });

  it('releases the GET stream only for the replica holding it', async () => {
    const index = make();
    await index.open('g-1', record(), CAPS);
    await index.update('g-1', { stream: 'hub-b' });
    await index.releaseStream('g-1', 'hub-a');
    expect((await index.peek('g-1'))?.stream).toBe('hub-b');
    await index.releaseStream('g-1', 'hub-b');
    expect((await index.peek('g-1'))?.stream).toBe('');
  });

  it('a session past its idle timeout is gone; a request in time restarts it', async () => {
    const index = make();
    const r = record({ idleTimeoutMs: 400 });
    await index.open('i-1', r, CAPS);
    await index.open('i-2', { ...r }, CAPS);
    // i-1 is kept alive by its owner's requests; i-2 gets only another principal's, which do not count.
    const keep = setInterval(() => {
      void index.touch('i-1', { owner: 'alice', token: 'jti:one' });
      void index.touch('i-2', { owner: 'mallory', token: 'jti:evil' });
    }, 100);
    try {
      await until('the idle session ended', async () => (await index.peek('i-2')) === undefined || undefined, 5000);
      expect(await index.peek('i-1')).toBeDefined();
    } finally {
      clearInterval(keep);
    }
    // Its place under the cap is free again once it is gone.
    const third = await index.open('i-3', { ...r }, CAPS);
    expect(third).toBeUndefined();
  });

  it('an entry past its idle time is removed by exactly one caller (who records the end)', async () => {
    const index = make();
    const r = record({ idleTimeoutMs: 300 });
    await index.open('x-1', r, CAPS);
    await until('past its idle time', async () => (await index.peek('x-1')) === undefined || undefined, 5000);
    expect(await index.touch('x-1', { owner: 'alice', token: 'jti:one' })).toBeUndefined();
    expect(await Promise.all([index.end('x-1'), index.end('x-1')])).toEqual([true, false]);
  });
});

describe('redis session index', () => {
  it('two replicas opening at once cannot both pass the cap', async () => {
    const [a, b] = [redisIndex(), redisIndex()];
    const owner = record();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).open(`race-${i}`, { ...owner }, { maxTotal: 1000, maxPerPrincipal: 3 })));
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
    expect(results.filter((r) => r !== undefined)).toEqual(Array(7).fill({ limit: 'per_principal', max: 3 }));
  });

  it('keys name no session id or principal in the clear', async () => {
    const index = redisIndex();
    await index.open('visible-session-id', record({ owner: 'visible-owner', ownerKey: 'visible-owner' }), CAPS);
    const keys = await index.client.keys('hatago:sess:*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toMatch(/visible/);
    const members = (await Promise.all(keys.filter((k) => !k.startsWith('hatago:sess:s:')).map((k) => index.client.zrange(k, 0, -1)))).flat();
    expect(members.length).toBeGreaterThan(0);
    expect(members.join(' ')).not.toMatch(/visible/);
  });

  it('fails closed with ERR_SESSION_STORE_UNAVAILABLE when Redis is gone', async () => {
    const lone = await startRedis();
    const index = new RedisSessionIndex(createRedisClient({ url: lone.url, commandTimeoutMs: 300 }), 200);
    await index.open('gone-1', record(), CAPS);
    await lone.kill();
    for (const call of [() => index.touch('gone-1', { owner: 'alice', token: 'jti:one' }), () => index.peek('gone-1'), () => index.open('gone-2', record(), CAPS), () => index.end('gone-1')]) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(HatagoError);
      expect((err as HatagoError).code).toBe('ERR_SESSION_STORE_UNAVAILABLE');
    }
    index.client.disconnect();
  });
});
