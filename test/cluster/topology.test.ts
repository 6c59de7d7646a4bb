// Three replicas behind nginx (plain round robin, no affinity), one Redis,
// one bundle server: test/cluster/topology.ts. What a security team running
// replicas relies on: one rate-limit budget, a logout that holds everywhere,
// a block that follows the address, a new bundle everywhere within the
// polling delay without a failed request, stateless clients served call
// after call, and a replica stopped with SIGTERM under load without a
// single failed request.
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hashPassword } from '../../src/auth/users/index.js';
import { fixtureStdio, runHatago, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { shippedBundleAs, startTopology, type Topology } from './topology.js';

useProcessCleanup();

const SECRET = 'cluster-topology-secret-0123456789-0123456789';
const WRONG = 'not-the-cluster-secret-0123456789-0123456789!!';
const PASSWORD = 'correct horse battery staple';
const BUDGET = 30;
const POLL_MAX_S = 1;
const ROLES = {
  admin: { permissions: ['mcp:*:*', 'admin:*:*', 'server:*:*'] },
  user: { permissions: ['mcp:tools:call', 'mcp:tools:list', 'mcp:resources:read', 'mcp:prompts:generate'] },
};

let topo: Topology;
let scratch: string;
let admin: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'hatago-cluster-bundles-'));
  const passwordHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  topo = await startTopology((id, redisUrl, bundleUrl) => ({
    mcpServers: { fx: fixtureStdio() },
    http: { drainTimeoutMs: 20000 },
    cluster: { enabled: true, redis: redisUrl, replicaId: id },
    policies: { service: { url: bundleUrl, pollingMinDelaySeconds: POLL_MAX_S / 2, pollingMaxDelaySeconds: POLL_MAX_S } },
    security: {
      authentication: { enabled: true, type: 'jwt', secret: '${E2E_SECRET}', algorithms: ['HS256'], expiresIn: '1h', users: { alice: { passwordHash: '${ALICE_HASH}', roles: ['user'] } } },
      authorization: { enabled: true, roles: ROLES },
      // nginx forwards the client's address; only loopback (nginx) is trusted to say so.
      network: { trustedProxies: ['127.0.0.1/32'] },
      // The budget is the role user's; admins (the other tests' clients) get a far larger one.
      rateLimit: { rules: [{ name: 'budget', windowMs: 600000, max: BUDGET, keyGenerator: 'user', tiers: { admin: 1000000 }, filter: 'mcp:tools:call' }] },
      suspicious: { authFailures: 3, cooldownMs: 3600000, block: { authFailures: 3, durationMs: 600000 } },
    },
  }), shippedBundleAs('cluster-r1', scratch), { E2E_SECRET: SECRET, ALICE_HASH: passwordHash });
  admin = `Bearer ${await hs256Token(SECRET, { sub: 'ops', roles: ['admin'] })}`;
}, 120000);

afterAll(async () => {
  await topo?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

async function legacyClient(url: string, authorization: string): Promise<LegacyClient> {
  const c = new LegacyClient({ name: 'cluster-session', version: '1' });
  await c.connect(new LegacyTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization } } }));
  return c;
}

async function modernClient(url: string, authorization: string): Promise<Client> {
  const c = new Client({ name: 'cluster', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization } } }));
  return c;
}

/** Polls `check` until it holds, failing at the deadline (a wait on an outcome, not a sleep). */
async function until(check: () => Promise<boolean>, deadlineMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > deadlineMs) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

/** `<replica>:<revision>` as the replica's /health/details (admin view) shows them. */
const revisionOf = async (hub: HubProcess) => {
  const r = await rawRequest(`${hub.url}/health/details`, { method: 'GET', headers: { authorization: admin } });
  const body = r.json as { replica?: string; policy?: { revision?: string } } | undefined;
  return `${body?.replica}:${body?.policy?.revision}`;
};
const IDS = ['hub-a', 'hub-b', 'hub-c'];

describe('three replicas behind nginx', () => {
  it('all pick up the bundle server\'s first bundle', async () => {
    for (const [i, hub] of topo.replicas.entries()) await until(async () => (await revisionOf(hub)) === `${IDS[i]}:cluster-r1`, 15000, `cluster-r1 on ${IDS[i]}`);
  });

  it('share one rate-limit budget: concurrent clients spread over the replicas get exactly the budget', async () => {
    const token = `Bearer ${await hs256Token(SECRET, { sub: 'budget-user', roles: ['user'] })}`;
    const clients = await Promise.all(Array.from({ length: 9 }, () => modernClient(topo.nginx.url, token)));
    const outcomes = await Promise.all(clients.flatMap((c) => Array.from({ length: 5 }, () =>
      // A refusal is an HTTP 429 whose JSON-RPC error names the code.
      c.callTool({ name: 'fx_echo', arguments: { text: 'x' } }).then(() => 'ok', (e: unknown) => /"code":-32029,"message":"Rate limit exceeded","data":\{"code":"(ERR_RATE_LIMITED)","limit":"budget"/.exec(String(e))?.[1] ?? String(e)))));
    await Promise.all(clients.map((c) => c.close()));
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'ERR_RATE_LIMITED')).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(BUDGET);
    expect(outcomes.filter((o) => o === 'ERR_RATE_LIMITED')).toHaveLength(45 - BUDGET);
  });

  it('a token logged out through one replica is refused by the others within a second', async () => {
    const [a, b, c] = topo.replicas as [HubProcess, HubProcess, HubProcess];
    const login = await rawRequest(`${a.url}/auth/login`, { body: { username: 'alice', password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.json.token as string;
    // Each use from its own address: the 401s after the logout are authentication failures, and a
    // burst of them from one address would (rightly) block it.
    let n = 0;
    const use = (h: HubProcess) => rawRequest(h.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${token}` }, localAddress: `127.0.1.${++n}` });
    expect((await use(b)).status).toBe(200);
    expect((await use(c)).status).toBe(200);
    expect((await rawRequest(`${a.url}/auth/logout`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    for (const h of [b, c]) {
      await until(async () => (await use(h)).status === 401, 1000, `logout seen by ${h.url}`);
      const r = await use(h);
      expect(r.json.error).toMatchObject({ code: -32001, data: { code: 'ERR_TOKEN_INVALID' } });
    }
  });

  it('a burst of bad tokens through replica A blocks that address on B and C, and through nginx', async () => {
    const [a, b, c] = topo.replicas as [HubProcess, HubProcess, HubProcess];
    const bad = `Bearer ${await hs256Token(WRONG, { sub: 'mallory', roles: ['admin'] })}`;
    for (let i = 0; i < 3; i++) expect((await rawRequest(a.mcpUrl, { body: INITIALIZE, headers: { authorization: bad }, localAddress: '127.0.0.5' })).status).toBe(401);
    for (const h of [b, c]) {
      const r = await rawRequest(h.mcpUrl, { body: INITIALIZE, headers: { authorization: admin }, localAddress: '127.0.0.5' });
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({ code: -32003, message: 'Forbidden: client address blocked after suspicious activity', data: { code: 'ERR_CLIENT_BLOCKED' } });
    }
    // Through nginx the address arrives in X-Forwarded-For: every replica refuses it, and only it.
    for (let i = 0; i < 3; i++) {
      expect((await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: admin }, localAddress: '127.0.0.5' })).json.error.data.code).toBe('ERR_CLIENT_BLOCKED');
      expect((await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: admin }, localAddress: '127.0.0.6' })).status).toBe(200);
    }
  });

  it('a new bundle reaches all three within the polling delay, with no failed request meanwhile', async () => {
    const client = await modernClient(topo.nginx.url, admin);
    let stop = false;
    const failures: string[] = [];
    let calls = 0;
    const load = (async () => {
      while (!stop) {
        calls++;
        await client.callTool({ name: 'fx_echo', arguments: { text: 'during' } }).then((r) => {
          if (textOf(r) !== 'during') failures.push(textOf(r));
        }, (e: unknown) => failures.push(String(e)));
      }
    })();
    topo.bundles.publish(shippedBundleAs('cluster-r2', scratch));
    // One poll interval (at most pollingMaxDelaySeconds) plus the fetch and activation.
    for (const [i, hub] of topo.replicas.entries()) await until(async () => (await revisionOf(hub)) === `${IDS[i]}:cluster-r2`, POLL_MAX_S * 1000 + 1500, `cluster-r2 on ${IDS[i]}`);
    stop = true;
    await load;
    await client.close();
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(0);
  });

  it('2026-07-28 clients round-robined across the replicas succeed call after call', async () => {
    const clients = await Promise.all(Array.from({ length: 3 }, () => modernClient(topo.nginx.url, admin)));
    const results: string[] = [];
    for (let round = 0; round < 10; round++) {
      results.push(...(await Promise.all(clients.map((c, i) => c.callTool({ name: 'fx_echo', arguments: { text: `c${i}r${round}` } }).then(textOf)))));
    }
    await Promise.all(clients.map((c) => c.close()));
    expect(results).toEqual(Array.from({ length: 10 }, (_, r) => [0, 1, 2].map((i) => `c${i}r${r}`)).flat());
  });

  it('SIGTERM on a replica under load: zero failed requests, exit 0, its audit chain verifies', async () => {
    // Stateless clients and 2025-11-25 sessions alike: a session's requests go on on the other replicas.
    const clients = [
      ...(await Promise.all(Array.from({ length: 3 }, () => modernClient(topo.nginx.url, admin)))),
      ...(await Promise.all(Array.from({ length: 2 }, () => legacyClient(topo.nginx.url, admin)))),
    ];
    const failures: string[] = [];
    let done = 0;
    let stop = false;
    const loops = clients.map(async (c) => {
      while (!stop) {
        await c.callTool({ name: 'fx_slow', arguments: { steps: 2, delayMs: 50 } }).then((r) => {
          if (textOf(r) === 'done 2') done++;
          else failures.push(textOf(r));
        }, (e: unknown) => failures.push(String(e)));
      }
    });
    const victim = topo.replicas[1]!;
    await until(async () => done >= 8, 20000, 'load running');
    victim.proc.child.kill('SIGTERM');
    expect(await victim.proc.waitForExit(30000)).toBe(0);
    const after = done;
    await until(async () => done >= after + 8, 20000, 'load goes on without the drained replica');
    stop = true;
    await Promise.all(loops);
    await Promise.all(clients.map((c) => c.close()));
    expect(failures).toEqual([]);
    expect(victim.proc.output()).toContain('"message":"drained"');
    // The drained replica did serve part of the load (round robin), so the zero above means something.
    const chain = readFileSync(path.join(victim.dir, 'logs', 'audit', 'hub-b.log'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { event: string; metadata?: { method?: string } });
    expect(chain.filter((r) => r.event === 'permission_granted' && r.metadata?.method === 'tools/call').length).toBeGreaterThan(0);
    const verify = await runHatago(['audit', 'verify', '--file', path.join(victim.dir, 'logs', 'audit')]);
    expect(verify.output).toMatch(/^ok: .*hub-b\.log: \d+ records.*\nok: 1 chains, \d+ records\n$/);
    expect(verify.code).toBe(0);
  }, 90000);
});
