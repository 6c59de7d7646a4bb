// cluster.enabled on real hubs and a real redis-server: the start-up checks
// (one line naming the key, for `serve` and `config validate` alike), and the
// suspicious-activity state shared by two replicas: a burst of bad tokens
// through replica A blocks the address on replica B too.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { freePort, useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { startRedis, type RedisServer } from '../ratelimit/helpers.js';

useProcessCleanup();

const SECRET = 'cluster-e2e-secret-0123456789-0123456789!!';
const WRONG = 'not-the-hub-secret-0123456789-0123456789!!';

let redis: RedisServer;
const dirs: string[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dirWith(config: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-cluster-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'c.json'), JSON.stringify(config));
  return dir;
}

const validate = (config: unknown) => {
  const dir = dirWith(config);
  return runHatago(['config', 'validate', '--config', 'c.json'], { cwd: dir });
};

describe('cluster.enabled start-up checks', () => {
  it('needs cluster.redis: one line naming the key, exit 1 (validate and serve alike)', async () => {
    const config = { http: { port: 3000 }, cluster: { enabled: true } };
    const v = await validate(config);
    expect(v.code).toBe(1);
    expect(v.output).toBe('hatago: cluster.enabled is true but cluster.redis is not set: replicas share sessions, rate limits, revoked tokens, suspicious-activity blocks, pins and flow histories through Redis; set cluster.redis to a redis:// or rediss:// URL (docs/deploy.md) [ERR_CONFIG_INVALID]\n');
    const s = await runHatago(['serve', '--config', 'c.json'], { cwd: dirWith(config) });
    expect(s.code).toBe(1);
    expect(s.output).toContain('cluster.enabled is true but cluster.redis is not set');
  });

  it('refuses a per-process store next to cluster.enabled, naming the key', async () => {
    const v = await validate({ http: { port: 3000 }, cluster: { enabled: true, redis: redis.url }, security: { rateLimit: { store: 'memory' } } });
    expect(v.code).toBe(1);
    expect(v.output).toBe('hatago: security.rateLimit.store is "memory" but cluster.enabled is true: each replica would keep its own; remove the key (it then uses cluster.redis) or set a Redis URL [ERR_CONFIG_INVALID]\n');
  });

  it('stops when cluster.redis does not answer, naming the key and the address (no password)', async () => {
    const port = await freePort();
    const v = await validate({ http: { port: 3000 }, cluster: { enabled: true, redis: `redis://:hunter2@127.0.0.1:${port}` } });
    expect(v.code).toBe(1);
    expect(v.output).toMatch(new RegExp(`^hatago: cluster\\.redis \\(redis://127\\.0\\.0\\.1:${port}\\) does not answer: .*ECONNREFUSED.*; replicas need it for shared state \\(cluster\\.enabled is true, docs/deploy\\.md\\) \\[ERR_CLUSTER_REDIS_UNREACHABLE\\]\\n$`));
    expect(v.output).not.toContain('hunter2');
  });

  it('accepts a reachable Redis; a bad replica id is named', async () => {
    expect((await validate({ http: { port: 3000 }, cluster: { enabled: true, redis: redis.url, replicaId: 'hub-a' } })).code).toBe(0);
    const bad = await validate({ http: { port: 3000 }, cluster: { enabled: true, redis: redis.url, replicaId: '../x' } });
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('/cluster/replicaId: must match pattern');
  });
});

describe('two replicas on one Redis', () => {
  const hubs: HubProcess[] = [];
  let good: string;
  let bad: string;
  beforeAll(async () => {
    const config = (id: string) => ({
      mcpServers: { fx: fixtureStdio() },
      cluster: { enabled: true, redis: redis.url, replicaId: id },
      security: {
        authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
        suspicious: { authFailures: 3, cooldownMs: 3600000, block: { authFailures: 3, durationMs: 600000 } },
      },
    });
    hubs.push(...(await Promise.all([startHubProcess(config('hub-a')), startHubProcess(config('hub-b'))])));
    good = `Bearer ${await hs256Token(SECRET, { sub: 'ops', roles: ['admin'] })}`;
    bad = `Bearer ${await hs256Token(WRONG, { sub: 'mallory', roles: ['admin'] })}`;
  }, 60000);
  afterAll(async () => {
    for (const h of hubs) {
      await h.stop();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });

  const initialize = (hub: HubProcess, authorization: string, localAddress: string) => rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization }, localAddress });

  it('a burst of bad tokens through A blocks that address on B; other addresses are served', async () => {
    const [a, b] = hubs as [HubProcess, HubProcess];
    for (let i = 0; i < 3; i++) expect((await initialize(a, bad, '127.0.0.2')).status).toBe(401);
    const r = await initialize(b, good, '127.0.0.2');
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ code: -32003, message: 'Forbidden: client address blocked after suspicious activity', data: { code: 'ERR_CLIENT_BLOCKED' } });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect((await initialize(b, good, '127.0.0.3')).status).toBe(200);
  });

  it('each replica writes its own audit chain, named by its replica id', () => {
    expect(existsSync(path.join(hubs[0]!.dir, 'logs', 'audit', 'hub-a.log'))).toBe(true);
    expect(existsSync(path.join(hubs[1]!.dir, 'logs', 'audit', 'hub-b.log'))).toBe(true);
  });
});
