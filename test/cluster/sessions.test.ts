// 2025-11-25 sessions across replicas: three `hatago serve` with
// cluster.enabled behind nginx in plain round robin (no affinity), one Redis
// (test/cluster/topology.ts). Every request of a session may land on another
// replica than the last: each must be served, relayed sampling must find the
// replica waiting for its answer, notifications must reach the replica
// holding the GET stream, a session must stay its principal's, end
// everywhere at once, and outlive a replica killed with SIGKILL.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import { fixtureStdio } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { hs256Token } from '../helpers/tokens.js';
import { shippedBundleAs, startTopology, type Topology } from './topology.js';

useProcessCleanup();

const SECRET = 'cluster-sessions-secret-0123456789-0123456789';
const ROLES = { user: { permissions: ['mcp:*:*', 'server:*:*'] } };

let topo: Topology;
let scratch: string;
let redis: Redis;
let alice: string;
let bob: string;
const clients: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'hatago-cluster-sessions-'));
  topo = await startTopology((id, redisUrl, bundleUrl) => ({
    mcpServers: { fx: fixtureStdio() },
    cluster: { enabled: true, redis: redisUrl, replicaId: id },
    policies: { service: { url: bundleUrl } },
    security: {
      authentication: { enabled: true, type: 'jwt', secret: '${E2E_SECRET}', algorithms: ['HS256'] },
      authorization: { enabled: true, roles: ROLES },
      network: { trustedProxies: ['127.0.0.1/32'] },
      sessions: { maxPerPrincipal: 4 },
    },
  }), shippedBundleAs('sessions-r1', scratch), { E2E_SECRET: SECRET });
  redis = new Redis(topo.redis.url);
  alice = `Bearer ${await hs256Token(SECRET, { sub: 'alice', roles: ['user'] })}`;
  bob = `Bearer ${await hs256Token(SECRET, { sub: 'bob', roles: ['user'] })}`;
}, 120000);

afterAll(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  redis?.disconnect();
  await topo?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

/** A 2025-11-25 client (the 1.x SDK) through nginx that answers sampling requests. */
async function legacyClient(authorization = alice): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'roaming', version: '1' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    role: 'assistant', model: 'test', content: { type: 'text', text: `sampled: ${(req.params.messages[0]!.content as { text: string }).text}` },
  }));
  const transport = new StreamableHTTPClientTransport(new URL(`${topo.nginx.url}/mcp`), { requestInit: { headers: { authorization } } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** The replica holding a session's GET stream, as the index says ('' none). */
async function streamHolder(sid: string): Promise<string> {
  return (await redis.hget(`hatago:sess:s:${createHash('sha256').update(sid).digest('hex').slice(0, 32)}`, 'stream')) ?? '';
}


/** The replicas whose audit chain has a record of session `sid`. */
function replicasThatServed(sid: string): string[] {
  return topo.replicas.flatMap((r, i) => {
    const id = ['hub-a', 'hub-b', 'hub-c'][i]!;
    const chain = readFileSync(path.join(r.dir, 'logs', 'audit', `${id}.log`), 'utf8');
    return chain.includes(`"sessionId":"${sid}"`) ? [id] : [];
  });
}

const session = (sid: string, authorization: string) => ({ authorization, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });

describe('2025-11-25 sessions behind plain round robin', () => {
  it('list and call succeed on every request, on every replica, sampling included', async () => {
    const { client, transport } = await legacyClient();
    const sid = transport.sessionId!;
    for (let i = 0; i < 6; i++) {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      expect(textOf(await client.callTool({ name: 'fx_echo', arguments: { text: `r${i}` } }))).toBe(`r${i}`);
    }
    // The call runs on one replica, which relays the upstream's sampling request on the call's stream; the
    // client's answer is the next request and lands on the next replica: it must come back to the first.
    for (let i = 0; i < 4; i++) {
      expect(textOf(await client.callTool({ name: 'fx_sample', arguments: { prompt: `p${i}` } }, undefined, { timeout: 15000 }))).toBe(`sampled: p${i}`);
    }
    await until('every replica served the session', () => replicasThatServed(sid).length === 3 || undefined, 10000);
  }, 60000);

  it('a notification raised on one replica reaches the client\'s GET stream held on another', async () => {
    const { client, transport } = await legacyClient();
    const sid = transport.sessionId!;
    await until('the GET stream is open', async () => (await streamHolder(sid)) || undefined, 10000);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    // Each replica runs its own stdio upstream: an add lands on one replica's upstream, which tells that replica only.
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'fx_add_tool', arguments: { name: `late_${i}` } });
    await until('three list_changed, two of them from replicas without the stream', () => changed >= 3 || undefined, 10000);
  }, 60000);

  it('a session belongs to its principal on every replica: another one gets 404 wherever it lands', async () => {
    const { transport } = await legacyClient();
    const sid = transport.sessionId!;
    for (let i = 0; i < 3; i++) {
      const r = await rawRequest(`${topo.nginx.url}/mcp`, { body: { jsonrpc: '2.0', id: i, method: 'tools/list' }, headers: session(sid, bob) });
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ error: { message: 'Session not found', data: { code: 'ERR_SESSION_NOT_FOUND' } } });
    }
    const mine = await rawRequest(`${topo.nginx.url}/mcp`, { body: { jsonrpc: '2.0', id: 9, method: 'ping' }, headers: session(sid, alice) });
    expect(mine.status).toBe(200);
  });

  it('DELETE through one replica ends the session on all of them', async () => {
    const init = await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: alice } });
    const sid = String(init.headers['mcp-session-id']);
    for (let i = 0; i < 3; i++) {
      const r = await rawRequest(`${topo.nginx.url}/mcp`, { body: { jsonrpc: '2.0', id: i, method: 'ping' }, headers: session(sid, alice) });
      expect(r.status).toBe(200);
    }
    expect((await rawRequest(`${topo.nginx.url}/mcp`, { method: 'DELETE', headers: session(sid, alice) })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const r = await rawRequest(`${topo.nginx.url}/mcp`, { body: { jsonrpc: '2.0', id: i, method: 'ping' }, headers: session(sid, alice) });
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ error: { data: { code: 'ERR_SESSION_NOT_FOUND' } } });
    }
  });

  it('the per-principal session cap holds across the replicas', async () => {
    const carol = `Bearer ${await hs256Token(SECRET, { sub: 'carol', roles: ['user'] })}`;
    const opened: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: carol } });
      expect(r.status).toBe(200);
      opened.push(String(r.headers['mcp-session-id']));
    }
    const over = await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: carol } });
    expect(over.status).toBe(429);
    expect(over.json).toMatchObject({ error: { message: 'Too many open sessions: end one (DELETE /mcp) or wait for one to expire', data: { code: 'ERR_SESSION_LIMIT', limit: 'per_principal', max: 4 } } });
    expect((await rawRequest(`${topo.nginx.url}/mcp`, { method: 'DELETE', headers: session(opened[0]!, carol) })).status).toBe(200);
    expect((await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: carol } })).status).toBe(200);
  });

  it('a client that goes on with a new token: the old one expiring on replicas that saw only it does not end the session', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = `Bearer ${await hs256Token(SECRET, { sub: 'dave', roles: ['user'], exp: now + 2 })}`;
    const fresh = `Bearer ${await hs256Token(SECRET, { sub: 'dave', roles: ['user'], exp: now + 600 })}`;
    const ping = (sid: string, authorization: string) => rawRequest(`${topo.nginx.url}/mcp`, { body: { jsonrpc: '2.0', id: 1, method: 'ping' }, headers: session(sid, authorization) });
    const init = await rawRequest(`${topo.nginx.url}/mcp`, { body: INITIALIZE, headers: { authorization: old } });
    const sid = String(init.headers['mcp-session-id']);
    // Round robin: the old token reaches all three replicas, then the new one only the next.
    for (let i = 0; i < 2; i++) expect((await ping(sid, old)).status).toBe(200);
    expect((await ping(sid, fresh)).status).toBe(200);
    // Two replicas' copies still hold the old token; once it expires their sweep drops only the copy.
    const dropped = (h: { proc: { output(): string } }) => h.proc.output().split('\n').filter((l) => l.includes('session copy dropped') && l.includes(sid)).length;
    await until('two copies dropped', () => topo.replicas.reduce((n, r) => n + dropped(r), 0) >= 2 || undefined, 15000);
    for (let i = 0; i < 3; i++) expect((await ping(sid, fresh)).status).toBe(200);
  });

  it('a replica killed with SIGKILL: its sessions go on elsewhere, the GET stream is re-opened, stateless calls never fail', async () => {
    const { client, transport } = await legacyClient();
    const sid = transport.sessionId!;
    await until('the GET stream is open', async () => (await streamHolder(sid)) || undefined, 10000);
    const holder = await streamHolder(sid);
    const victim = topo.replicas[['hub-a', 'hub-b', 'hub-c'].indexOf(holder)]!;
    // Stateless clients keep calling while the replica dies.
    const modern = await Promise.all([0, 1].map(async () => {
      const c = new ModernClient({ name: 'stateless', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await c.connect(new ModernTransport(new URL(`${topo.nginx.url}/mcp`), { requestInit: { headers: { authorization: alice } } }));
      clients.push(c);
      return c;
    }));
    const failures: string[] = [];
    let calls = 0;
    let stop = false;
    const loops = modern.map(async (c, i) => {
      while (!stop) {
        await c.callTool({ name: 'fx_echo', arguments: { text: `m${i}` } }).then((r) => {
          if (textOf(r) === `m${i}`) calls++;
          else failures.push(textOf(r));
        }, (e: unknown) => failures.push(String(e)));
      }
    });
    await until('stateless load running', () => calls >= 6 || undefined, 20000);
    await victim.proc.kill('SIGKILL');
    // The session goes on: every request succeeds on the two replicas left.
    for (let i = 0; i < 6; i++) expect(textOf(await client.callTool({ name: 'fx_echo', arguments: { text: `after${i}` } }))).toBe(`after${i}`);
    // The client re-opens its GET stream, on a live replica, and hears notifications there.
    await until('the GET stream re-opened elsewhere', async () => ![holder, ''].includes(await streamHolder(sid)) || undefined, 20000);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    for (let i = 0; i < 2; i++) await client.callTool({ name: 'fx_add_tool', arguments: { name: `after_kill_${i}` } });
    await until('notifications after the kill', () => changed >= 2 || undefined, 10000);
    const before = calls;
    await until('stateless load goes on', () => calls >= before + 6 || undefined, 20000);
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
  }, 90000);
});
