// POST /auth/login, /auth/logout and /auth/refresh against the real hub
// process: raw HTTP from chosen loopback addresses, the real SDK client with
// the token the hub minted, and revocation shared by two hubs through a real
// redis-server. Each scenario uses its own address: repeated login failures
// from one address are suspicious activity, which the policy may block.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { hashPassword } from '../../src/auth/users/index.js';
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest, type RawResponse } from '../helpers/http-client.js';
import { freePort, spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';

useProcessCleanup();

const SECRET = 'token-endpoints-secret-0123456789-0123456789';
const AUTH = { enabled: true, type: 'jwt', secret: '${E2E_SECRET}', algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'], expiresIn: '1h' };
// Cheap scrypt parameters keep the suite fast; the hash string carries them.
const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'correct horse battery staple';

let users: Record<string, unknown>;
let hub: HubProcess;

async function hubConfig(extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return {
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { ...AUTH, users, ...extra },
      authorization: { enabled: true },
      network: { blockedIPs: ['127.0.2.0/24'] },
    },
  };
}

beforeAll(async () => {
  const passwordHash = await hashPassword(PASSWORD, FAST);
  users = {
    alice: { passwordHash: '${ALICE_HASH}', roles: ['user'] },
    bob: { passwordHash, roles: ['user'], disabled: true },
    carol: { passwordHash, roles: ['readonly'], id: 'user-carol' },
  };
  hub = await startHubProcess(await hubConfig(), { env: { E2E_SECRET: SECRET, ALICE_HASH: passwordHash } });
});

afterAll(() => hub.stop());

let nextAddress = 10;
const freshAddress = () => `127.0.4.${nextAddress++}`;

function post(h: HubProcess, path: string, opts: { body?: unknown; token?: string; from?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return rawRequest(`${h.url}${path}`, {
    ...(opts.body !== undefined && { body: opts.body }),
    headers: { ...(opts.token && { authorization: `Bearer ${opts.token}` }), ...opts.headers },
    localAddress: opts.from ?? freshAddress(),
  });
}

async function login(h: HubProcess, username = 'alice', from?: string): Promise<string> {
  const res = await post(h, '/auth/login', { body: { username, password: PASSWORD }, ...(from && { from }) });
  expect(res.status).toBe(200);
  return res.json.token as string;
}

/** The status and code of an MCP initialize with this token. */
async function useToken(h: HubProcess, token: string): Promise<{ status: number; code?: string }> {
  const res = await rawRequest(h.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${token}` }, localAddress: freshAddress() });
  return res.status === 200 ? { status: 200 } : { status: res.status, code: res.json?.error?.data?.code };
}

describe('POST /auth/login', () => {
  it('answers the guide shape, and the token opens a session for the real SDK client', async () => {
    const res = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['expiresIn', 'token', 'tokenType']);
    expect(res.json).toMatchObject({ expiresIn: '1h', tokenType: 'Bearer' });
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = decodeJwt(res.json.token);
    expect(claims).toMatchObject({ sub: 'alice', username: 'alice', roles: ['user'], iss: 'hatago-hub', aud: 'mcp-clients' });
    expect(typeof claims.sessionId).toBe('string');
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.scope).toBeUndefined();

    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${res.json.token}` } } }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      expect(await client.callTool({ name: 'fx_echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    } finally {
      await client.close();
    }
  });

  it('puts a configured id in sub, and a fresh sessionId and jti in every token', async () => {
    const a = decodeJwt(await login(hub, 'carol'));
    const b = decodeJwt(await login(hub, 'carol'));
    expect(a).toMatchObject({ sub: 'user-carol', username: 'carol', roles: ['readonly'] });
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(a.jti).not.toBe(b.jti);
  });

  it('a requested scope only narrows: it is in the token and the policy intersects it with the roles', async () => {
    const res = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD, scope: ['mcp:tools:list'] } });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.json.token).scope).toEqual(['mcp:tools:list']);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${res.json.token}` } } }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      await expect(client.callTool({ name: 'fx_echo', arguments: { text: 'hi' } })).rejects.toThrow();
    } finally {
      await client.close();
    }
    // A scope no role grants adds nothing: readonly carol asking for everything still only lists.
    const wide = await post(hub, '/auth/login', { body: { username: 'carol', password: PASSWORD, scope: 'mcp:*:*' } });
    const c2 = new Client({ name: 'e2e', version: '1.0.0' });
    await c2.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${wide.json.token}` } } }));
    try {
      await expect(c2.callTool({ name: 'fx_echo', arguments: { text: 'hi' } })).rejects.toThrow();
    } finally {
      await c2.close();
    }
  });

  it('wrong password, unknown user and disabled user get the same status, code, message and challenge', async () => {
    const attempts = [
      { username: 'alice', password: 'wrong password' },
      { username: 'mallory', password: PASSWORD },
      { username: 'bob', password: PASSWORD },
    ];
    const answers = [];
    for (const body of attempts) {
      const res = await post(hub, '/auth/login', { body });
      answers.push({ status: res.status, body: res.json, challenge: res.headers['www-authenticate'] });
    }
    expect(answers[0]).toEqual({ status: 401, body: { error: { code: 'ERR_LOGIN_FAILED', message: 'Login failed: invalid username or password' } }, challenge: 'Bearer realm="hatago"' });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it.each([
    ['invalid JSON', '{"username": "alice", ', 400, 'ERR_PARSE'],
    ['a JSON array', [], 400, 'ERR_LOGIN_REQUEST_INVALID'],
    ['no password', { username: 'alice' }, 400, 'ERR_LOGIN_REQUEST_INVALID'],
    ['a non-string password', { username: 'alice', password: { $ne: '' } }, 400, 'ERR_LOGIN_REQUEST_INVALID'],
    ['an unknown field', { username: 'alice', password: PASSWORD, admin: true }, 400, 'ERR_LOGIN_REQUEST_INVALID'],
    ['a bad scope', { username: 'alice', password: PASSWORD, scope: [42] }, 400, 'ERR_LOGIN_REQUEST_INVALID'],
  ])('a malformed body (%s) gets a 4xx with a stable code, never a login attempt', async (_name, body, status, code) => {
    const before = auditRecords(hub).length;
    const res = await post(hub, '/auth/login', { body });
    expect({ status: res.status, body: res.json }).toEqual({ status, body: { error: { code, message: expect.any(String) } } });
    expect(auditRecords(hub).slice(before).filter((r) => r.event.startsWith('authentication'))).toEqual([]);
  });

  it('a body that is not JSON is 415, an oversized one 413', async () => {
    const form = await post(hub, '/auth/login', { body: 'username=alice&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect({ status: form.status, code: form.json?.error?.code }).toEqual({ status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
    const big = await post(hub, '/auth/login', { body: { username: 'alice', password: 'x'.repeat(20000) } });
    expect({ status: big.status, code: big.json?.error?.code }).toEqual({ status: 413, code: 'ERR_BODY_TOO_LARGE' });
  });

  it('other methods get 405 with Allow: POST', async () => {
    const res = await rawRequest(`${hub.url}/auth/login`, { method: 'GET', localAddress: freshAddress() });
    expect({ status: res.status, code: res.json?.error?.code, allow: res.headers.allow }).toEqual({ status: 405, code: 'ERR_METHOD_NOT_ALLOWED', allow: 'POST' });
  });

  it('a network-denied address gets 403 before anything else: no body read, no password checked', async () => {
    const before = auditRecords(hub).length;
    const good = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD }, from: '127.0.2.5' });
    const junk = await post(hub, '/auth/login', { body: '{not json', from: '127.0.2.6' });
    expect({ status: good.status, code: good.json?.error?.code }).toEqual({ status: 403, code: 'ERR_NETWORK_DENIED' });
    expect({ status: junk.status, code: junk.json?.error?.code }).toEqual({ status: 403, code: 'ERR_NETWORK_DENIED' });
    expect(good.headers['x-ratelimit-limit']).toBeUndefined();
    const events = auditRecords(hub).slice(before).map((r) => r.event);
    expect(events).toEqual(['network_denied', 'network_denied']);
  });

  it('is rate limited per address by the policy (default 10 per minute): 429 with Retry-After, other addresses unaffected', async () => {
    const from = '127.0.3.1';
    for (let i = 0; i < 10; i++) {
      const ok = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD }, from });
      expect({ status: ok.status, limit: ok.headers['x-ratelimit-limit'], remaining: ok.headers['x-ratelimit-remaining'] }).toEqual({ status: 200, limit: '10', remaining: String(9 - i) });
    }
    const refused = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD }, from });
    expect({ status: refused.status, code: refused.json?.error?.code }).toEqual({ status: 429, code: 'ERR_RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['x-ratelimit-retryafter']).toBe(refused.headers['retry-after']);
    // Refused before the body is read: a malformed body from there is 429 too.
    const junk = await post(hub, '/auth/login', { body: '{', from });
    expect(junk.status).toBe(429);
    const other = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD }, from: '127.0.3.2' });
    expect(other.status).toBe(200);
  });

  it('records authentication_success and authentication_failure (method password) in the audit trail', async () => {
    const before = auditRecords(hub).length;
    const from = freshAddress();
    await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD }, from });
    await post(hub, '/auth/login', { body: { username: 'alice', password: 'nope' }, from });
    const recs = auditRecords(hub).slice(before).filter((r) => r.event.startsWith('authentication'));
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({ event: 'authentication_success', user: 'alice', ip: from, metadata: { method: 'password', username: 'alice', roles: ['user'] } });
    expect(recs[1]).toMatchObject({ event: 'authentication_failure', user: 'alice', ip: from, metadata: { method: 'password', reason: 'bad_password' } });
    expect(JSON.stringify(recs)).not.toContain('nope');
    expect(JSON.stringify(recs)).not.toContain(PASSWORD);
  });
});

describe('POST /auth/logout', () => {
  it('revokes the token: 204, then every use of it is 401 ERR_TOKEN_INVALID (on /mcp, refresh, logout)', async () => {
    const token = await login(hub);
    const other = await login(hub);
    expect(await useToken(hub, token)).toEqual({ status: 200 });
    const out = await post(hub, '/auth/logout', { token });
    expect({ status: out.status, text: out.text }).toEqual({ status: 204, text: '' });
    expect(await useToken(hub, token)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
    const refresh = await post(hub, '/auth/refresh', { token });
    expect({ status: refresh.status, code: refresh.json?.error?.code }).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
    const again = await post(hub, '/auth/logout', { token });
    expect({ status: again.status, code: again.json?.error?.code }).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
    // Another login of the same user is another token.
    expect(await useToken(hub, other)).toEqual({ status: 200 });
  });

  it('without a token is 401 ERR_UNAUTHENTICATED; with a token lacking jti 400 ERR_TOKEN_NOT_REVOCABLE', async () => {
    const none = await post(hub, '/auth/logout');
    expect({ status: none.status, code: none.json?.error?.code, challenge: none.headers['www-authenticate'] }).toEqual({ status: 401, code: 'ERR_UNAUTHENTICATED', challenge: 'Bearer realm="hatago"' });
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    const noJti = await new SignJWT({ sub: 'svc', iss: 'hatago-hub', aud: 'mcp-clients', iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    const res = await post(hub, '/auth/logout', { token: noJti });
    expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status: 400, code: 'ERR_TOKEN_NOT_REVOCABLE' });
  });

  it('records a logout event', async () => {
    const token = await login(hub);
    const before = auditRecords(hub).length;
    await post(hub, '/auth/logout', { token });
    const recs = auditRecords(hub).slice(before);
    expect(recs.map((r) => r.event)).toEqual(['logout']);
    expect(recs[0]).toMatchObject({ user: 'alice', sessionId: decodeJwt(token).sessionId, metadata: { jti: decodeJwt(token).jti } });
  });
});

describe('POST /auth/refresh', () => {
  it('rotates: a new token with the same claims and a new jti; the old one is refused from then on', async () => {
    const old = await login(hub, 'carol');
    const res = await post(hub, '/auth/refresh', { token: old });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ expiresIn: '1h', tokenType: 'Bearer' });
    const a = decodeJwt(old);
    const b = decodeJwt(res.json.token);
    expect(b.jti).not.toBe(a.jti);
    for (const claim of ['sub', 'username', 'roles', 'sessionId', 'iss', 'aud']) expect({ claim, value: b[claim] }).toEqual({ claim, value: a[claim] });
    expect(await useToken(hub, old)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
    expect(await useToken(hub, res.json.token)).toEqual({ status: 200 });
    const twice = await post(hub, '/auth/refresh', { token: old });
    expect({ status: twice.status, code: twice.json?.error?.code }).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
  });

  it('of two concurrent refreshes of one token exactly one succeeds', async () => {
    const token = await login(hub);
    const results = await Promise.all([post(hub, '/auth/refresh', { token }), post(hub, '/auth/refresh', { token })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('keeps a narrowed scope', async () => {
    const res = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD, scope: 'mcp:tools:list' } });
    const next = await post(hub, '/auth/refresh', { token: res.json.token });
    expect(decodeJwt(next.json.token).scope).toEqual(['mcp:tools:list']);
  });

  it('records token_refresh with both jtis', async () => {
    const token = await login(hub);
    const before = auditRecords(hub).length;
    const res = await post(hub, '/auth/refresh', { token });
    const recs = auditRecords(hub).slice(before);
    expect(recs.map((r) => r.event)).toEqual(['token_refresh']);
    expect(recs[0]).toMatchObject({ user: 'alice', metadata: { revokedJti: decodeJwt(token).jti, jti: decodeJwt(res.json.token).jti } });
  });
});

describe('when the endpoints do not exist', () => {
  it('answers 404 with authentication disabled', async () => {
    const off = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, security: { authentication: { enabled: false } } });
    try {
      for (const path of ['/auth/login', '/auth/logout', '/auth/refresh']) {
        const res = await post(off, path, { body: { username: 'alice', password: PASSWORD } });
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
    } finally {
      await off.stop();
    }
  });
});

describe('revocation shared by two hubs through a real redis-server', () => {
  let redis: TestProcess;
  let port: number;
  let a: HubProcess;
  let b: HubProcess;

  const startRedis = async () => {
    const proc = spawnProcess('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']);
    await proc.waitForLine(/Ready to accept connections/);
    return proc;
  };

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis();
    const config = await hubConfig({ revocation: { store: `redis://127.0.0.1:${port}` } });
    const env = { E2E_SECRET: SECRET, ALICE_HASH: (users.bob as { passwordHash: string }).passwordHash };
    [a, b] = await Promise.all([startHubProcess(config, { env }), startHubProcess(config, { env })]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.kill();
  });

  it('a logout at one hub is refused at the other', async () => {
    const token = await login(a);
    expect(await useToken(b, token)).toEqual({ status: 200 });
    expect((await post(b, '/auth/logout', { token })).status).toBe(204);
    expect(await useToken(a, token)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
  });

  it('a refresh at one hub retires the old token at the other', async () => {
    const old = await login(b);
    const res = await post(a, '/auth/refresh', { token: old });
    expect(res.status).toBe(200);
    expect(await useToken(b, old)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID' });
    expect(await useToken(b, res.json.token)).toEqual({ status: 200 });
  });

  it('Redis down: tokens are refused with 503 ERR_REVOCATION_UNAVAILABLE (fail closed); back to normal when it returns', async () => {
    const token = await login(a);
    await redis.kill();
    expect(await useToken(a, token)).toEqual({ status: 503, code: 'ERR_REVOCATION_UNAVAILABLE' });
    const out = await post(b, '/auth/logout', { token });
    expect({ status: out.status, code: out.json?.error?.code }).toEqual({ status: 503, code: 'ERR_REVOCATION_UNAVAILABLE' });
    redis = await startRedis();
    // The hubs reconnect by themselves; wait for it (no timing asserted).
    let state = await useToken(a, token);
    for (let i = 0; i < 50 && state.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await useToken(a, token);
    }
    expect(state).toEqual({ status: 200 });
  });
});
