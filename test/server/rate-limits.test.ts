// Rate limits in the real hub: the policy names the limits (tiers by role,
// filters, keys), the runtime counts them, in memory or in a real redis-server
// shared by two hub processes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { freePort, spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'rl-secret-0123456789-0123456789-0123456789!!';
const AUTH = { enabled: true, secret: SECRET, algorithms: ['HS256'] };
const MINUTE = 60000;

async function bearer(sub: string, roles: string[]): Promise<string> {
  return `Bearer ${await hs256Token(SECRET, { sub, roles })}`;
}

async function session(hub: HubProcess, authorization: string, localAddress?: string): Promise<(name: string, args?: Record<string, unknown>) => ReturnType<typeof rawRequest>> {
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization }, ...(localAddress && { localAddress }) });
  expect(init.status).toBe(200);
  const sid = String(init.headers['mcp-session-id']);
  let id = 10;
  return (name, args = {}) =>
    rawRequest(hub.mcpUrl, {
      body: { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: args } },
      headers: { authorization, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      ...(localAddress && { localAddress }),
    });
}

function echoCalls(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"tool":"echo"')).length : 0;
}

describe('limits chosen by the policy, counted in memory', () => {
  let hub: HubProcess;
  const events = path.join(mkdtempSync(path.join(tmpdir(), 'hatago-rl-')), 'events.jsonl');
  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio({ FIXTURE_EVENTS_FILE: events }) },
      security: {
        authentication: AUTH,
        authorization: { enabled: true, defaultRole: 'readonly' },
        rateLimit: {
          enabled: true,
          rules: [
            { name: 'per-user', windowMs: MINUTE, max: 4, keyGenerator: 'user', tiers: { readonly: 2, user: 4, admin: 6 }, filter: 'mcp:tools:call' },
            { name: 'per-ip', windowMs: MINUTE, max: 8, keyGenerator: 'ip', filter: 'mcp:tools:call' },
          ],
        },
      },
    });
  });

  it('sends the headers of the tightest limit on every answer', async () => {
    const call = await session(hub, await bearer('hdr', ['admin']));
    const r = await call('fx_echo', { text: 'a' });
    expect(r.status).toBe(200);
    expect(r.headers['x-ratelimit-limit']).toBe('6');
    expect(r.headers['x-ratelimit-remaining']).toBe('5');
    const reset = Number(r.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Math.ceil((Date.now() + MINUTE) / 1000) + 1);
  });

  it('refuses over the limit with 429, Retry-After and a stable code, without forwarding', async () => {
    const call = await session(hub, await bearer('carol', ['user']), '127.0.0.5');
    const before = echoCalls(events);
    for (let i = 0; i < 4; i++) expect((await call('fx_echo', { text: `c${i}` })).status).toBe(200);
    const refused = await call('fx_echo', { text: 'too many' });
    expect(refused.status).toBe(429);
    expect(refused.json.error).toMatchObject({ code: -32029, message: 'Rate limit exceeded', data: { code: 'ERR_RATE_LIMITED', limit: 'per-user' } });
    expect(refused.json.error.data.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    const retry = Number(refused.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-retryafter']).toBe(String(retry));
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    await new Promise((r) => setTimeout(r, 300));
    expect(echoCalls(events) - before).toBe(4);
    // The refusal is in the audit trail under the same decision id (written before the answer).
    const audit = readFileSync(path.join(hub.dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; decisionId?: string; user: string; metadata: { limit: string } });
    expect(audit.find((r) => r.event === 'rate_limit_exceeded' && r.decisionId === refused.json.error.data.decisionId)).toMatchObject({ user: 'carol', metadata: { limit: 'per-user' } });
  });

  it('gives each user their own budget and each tier its own max', async () => {
    const dave = await session(hub, await bearer('dave', ['readonly', 'user']), '127.0.0.6');
    const erin = await session(hub, await bearer('erin', ['admin']), '127.0.0.7');
    const daveCodes = [];
    for (let i = 0; i < 5; i++) daveCodes.push((await dave('fx_echo', { text: 'd' })).status);
    expect(daveCodes).toEqual([200, 200, 200, 200, 429]); // highest tier of his roles: user (4)
    const erinCodes = [];
    for (let i = 0; i < 7; i++) erinCodes.push((await erin('fx_echo', { text: 'e' })).status);
    expect(erinCodes).toEqual([200, 200, 200, 200, 200, 200, 429]); // admin tier: 6
  });

  it('keys per IP across users', async () => {
    const codes = [];
    for (let u = 0; u < 3; u++) {
      const call = await session(hub, await bearer(`ip-user-${u}`, ['admin']), '127.0.0.9');
      for (let i = 0; i < 3; i++) codes.push((await call('fx_echo', { text: 'i' })).status);
    }
    expect(codes.filter((c) => c === 200)).toHaveLength(8);
    expect(codes[8]).toBe(429);
  });

  it('does not count methods outside the filter', async () => {
    const authorization = await bearer('lister', ['readonly']);
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization } });
    const sid = String(init.headers['mcp-session-id']);
    for (let i = 0; i < 5; i++) {
      const r = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: i + 2, method: 'tools/list' }, headers: { authorization, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
      expect(r.status).toBe(200);
    }
  });
});

interface AuditRecord {
  event: string;
  user: string | null;
  ip: string | null;
  decisionId?: string;
  metadata: { limit?: string; denied?: string; code?: string };
}

function auditOf(hub: HubProcess): AuditRecord[] {
  return readFileSync(path.join(hub.dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
}

describe('denied requests are counted too: denial budgets per address and per principal', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    // No denialLimits in the config: the shipped defaults (30 per minute per address and per user) apply.
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      security: { authentication: AUTH, authorization: { enabled: true, defaultRole: 'readonly' }, rateLimit: { enabled: true, rules: [] } },
    });
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  });

  it('100 denied calls: 30 answered 403 and recorded, the rest 429 with Retry-After, a bounded audit trail', async () => {
    const call = await session(hub, await bearer('flooder', ['readonly']), '127.0.0.21');
    const answers = [];
    for (let i = 0; i < 100; i++) answers.push(await call('fx_echo', { text: 'x' }));
    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(403));
    expect(statuses.slice(30)).toEqual(Array(70).fill(429));
    expect(answers[0]!.json.error).toMatchObject({ message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED' } });
    const refused = answers[30]!;
    expect(refused.json.error).toMatchObject({ code: -32029, message: 'Rate limit exceeded', data: { code: 'ERR_RATE_LIMITED' } });
    expect(['denials-ip', 'denials-user']).toContain(refused.json.error.data.limit);
    const retry = Number(refused.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);

    const mine = auditOf(hub).filter((r) => r.user === 'flooder');
    const denied = mine.filter((r) => r.event === 'permission_denied');
    const exceeded = mine.filter((r) => r.event === 'rate_limit_exceeded');
    expect(denied).toHaveLength(30);
    // One record per spent key and window, not one per refused call.
    expect(exceeded.length).toBeGreaterThanOrEqual(1);
    expect(exceeded.length).toBeLessThanOrEqual(2);
    expect(exceeded[0]).toMatchObject({ ip: '127.0.0.21', decisionId: refused.json.error.data.decisionId, metadata: { limit: refused.json.error.data.limit, denied: 'ERR_PERMISSION_DENIED' } });
    expect(denied.length + exceeded.length).toBeLessThanOrEqual(30 + 2);
  });

  it('the address budget holds for every principal from that address', async () => {
    const other = await session(hub, await bearer('flooder-2', ['readonly']), '127.0.0.21');
    const r = await other('fx_echo', { text: 'x' });
    expect(r.status).toBe(429);
    expect(r.json.error.data).toMatchObject({ code: 'ERR_RATE_LIMITED', limit: 'denials-ip' });
  });

  it('allowed calls are not charged to the denial budget; a denial within budget carries no rate-limit headers', async () => {
    const call = await session(hub, await bearer('lawful', ['user']), '127.0.0.22');
    for (let i = 0; i < 35; i++) expect((await call('fx_echo', { text: 'ok' })).status).toBe(200);
    const reader = await session(hub, await bearer('reader', ['readonly']), '127.0.0.22');
    const denied = await reader('fx_echo', { text: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.json.error.data.code).toBe('ERR_PERMISSION_DENIED');
    expect(denied.headers['x-ratelimit-limit']).toBeUndefined();
  });
});

describe('denial budgets from the config', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: AUTH,
        authorization: { enabled: true, defaultRole: 'readonly' },
        rateLimit: { enabled: true, denialLimits: [{ name: 'denied-per-user', windowMs: MINUTE, max: 3, keyGenerator: 'user' }] },
      },
    });
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  });

  it('replace the defaults: 3 denials per user, no address budget', async () => {
    const first = await session(hub, await bearer('den-1', ['readonly']), '127.0.0.23');
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await first('fx_echo', { text: 'x' })).status);
    expect(codes).toEqual([403, 403, 403, 429, 429]);
    const second = await session(hub, await bearer('den-2', ['readonly']), '127.0.0.23');
    const r = await second('fx_echo', { text: 'x' });
    expect(r.status).toBe(403);
    expect(r.json.error.data.code).toBe('ERR_PERMISSION_DENIED');
    const exceeded = auditOf(hub).filter((a) => a.event === 'rate_limit_exceeded');
    expect(exceeded).toHaveLength(1);
    expect(exceeded[0]).toMatchObject({ user: 'den-1', metadata: { limit: 'denied-per-user' } });
  });
});

describe('counters in a real redis-server shared by two hubs', () => {
  let redis: TestProcess;
  let redisPort: number;
  const hubs: HubProcess[] = [];

  async function startRedis(): Promise<TestProcess> {
    const proc = spawnProcess('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']);
    await proc.waitForLine(/Ready to accept connections/);
    return proc;
  }

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis();
    const config = (failOpen: boolean) => ({
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: AUTH,
        authorization: { enabled: true, defaultRole: 'user' },
        rateLimit: { enabled: true, store: `redis://127.0.0.1:${redisPort}`, failOpen, rules: [{ name: 'shared', windowMs: MINUTE, max: 10, keyGenerator: 'user', filter: 'mcp:tools:call' }] },
      },
    });
    hubs.push(await startHubProcess(config(false)), await startHubProcess(config(false)), await startHubProcess(config(true)));
  });

  it('admits no more than one budget across both hubs', async () => {
    const authorization = await bearer('shared-user', ['user']);
    const a = await session(hubs[0]!, authorization);
    const b = await session(hubs[1]!, authorization);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b)('fx_echo', { text: String(i) })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(14);
  });

  it('with Redis gone: failOpen false refuses (503), failOpen true admits; neither hangs; both recover', async () => {
    const closed = await session(hubs[1]!, await bearer('outage-closed', ['user']));
    const open = await session(hubs[2]!, await bearer('outage-open', ['user']));
    await redis.kill('SIGKILL');
    const during = await Promise.all([...Array.from({ length: 5 }, () => closed('fx_echo', { text: 'x' })), ...Array.from({ length: 5 }, () => open('fx_echo', { text: 'y' }))]);
    const closedDuring = during.slice(0, 5);
    const openDuring = during.slice(5);
    for (const r of closedDuring) expect({ status: r.status, code: r.json.error?.data?.code }).toEqual({ status: 503, code: 'ERR_RATE_LIMIT_UNAVAILABLE' });
    for (const r of openDuring) expect(r.status).toBe(200);

    redis = await startRedis();
    // Back by itself: counting resumes in Redis (a fresh, empty one).
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      recovered = (await closed('fx_echo', { text: 'again' })).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    // Each hub reconnects by itself; until the failOpen one has, it admits without counting (no headers).
    // The first answer it counts in the fresh Redis shows the whole budget but one.
    let check = await open('fx_echo', { text: 'counted' });
    for (let i = 0; i < 100 && check.headers['x-ratelimit-remaining'] === undefined; i++) {
      expect(check.status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      check = await open('fx_echo', { text: 'counted' });
    }
    expect(check.status).toBe(200);
    expect(check.headers['x-ratelimit-remaining']).toBe('9');
  });
});
