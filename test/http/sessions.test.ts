// 2025-11-25 sessions are bounded (security.sessions, handed to the policy,
// whose initialize decision returns session_limits): per principal, in all,
// and by idle time. A session and its GET stream end when their token is
// revoked or expires. Ended sessions answer 404 so clients initialize again.
import { rmSync } from 'node:fs';
import { hashPassword } from '../../src/auth/users/index.js';
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest, type RawResponse } from '../helpers/http-client.js';
import { freePort, spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { openSse } from '../helpers/sse-client.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'sessions-test-secret-0123456789-0123456789';
const PASSWORD = 'correct horse battery staple';
let hub: HubProcess;
/** A second hub whose sessions idle out fast (the first keeps the default, so slow machines do not expire its sessions mid-test). */
let quick: HubProcess;

const token = (sub: string, extra: Record<string, unknown> = {}) =>
  hs256Token(SECRET, { sub, roles: ['admin'], iss: 'hatago-hub', aud: 'mcp-clients', jti: `${sub}-${Math.random()}`, ...extra });

const auth = (t: string) => ({ authorization: `Bearer ${t}` });

async function initialize(t: string, h = hub): Promise<RawResponse> {
  return rawRequest(h.mcpUrl, { body: INITIALIZE, headers: auth(t) });
}

async function open(t: string, h = hub): Promise<string> {
  const r = await initialize(t, h);
  expect(r.status).toBe(200);
  return String(r.headers['mcp-session-id']);
}

function ping(t: string, sid: string, h = hub): Promise<RawResponse> {
  return rawRequest(h.mcpUrl, { body: { jsonrpc: '2.0', id: 7, method: 'ping' }, headers: { ...auth(t), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
}

function remove(t: string, sid: string, h = hub): Promise<RawResponse> {
  return rawRequest(h.mcpUrl, { method: 'DELETE', headers: { ...auth(t), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
}

/** Resolves once the audit trail holds a record matching `pred` (the hub writes it on its own schedule). */
async function auditRecord(pred: (r: ReturnType<typeof auditRecords>[number]) => boolean, h = hub) {
  for (;;) {
    const found = auditRecords(h).find(pred);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const passwordHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  const config = (sessions: Record<string, number>) => ({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { enabled: true, type: 'jwt', secret: SECRET, algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'], users: { alice: { passwordHash, roles: ['admin'] } } },
      authorization: { enabled: true },
      sessions,
    },
  });
  [hub, quick] = await Promise.all([startHubProcess(config({ maxPerPrincipal: 3, maxTotal: 6 })), startHubProcess(config({ idleTimeoutMs: 4000 }))]);
});

afterAll(async () => {
  for (const h of [hub, quick]) {
    await h?.stop();
    if (h) rmSync(h.dir, { recursive: true, force: true });
  }
});

describe('session caps', () => {
  it('refuses a principal\'s session past maxPerPrincipal with 429 ERR_SESSION_LIMIT; others are unaffected', async () => {
    const t = await token('capper');
    const sids = [await open(t), await open(t), await open(t)];
    const refused = await initialize(t);
    expect(refused.status).toBe(429);
    expect(refused.json.error).toMatchObject({
      code: -32029,
      message: 'Too many open sessions: end one (DELETE /mcp) or wait for one to expire',
      data: { code: 'ERR_SESSION_LIMIT', limit: 'per_principal', max: 3 },
    });
    // Another principal still gets one, and the capped principal's sessions still work.
    const other = await token('bystander');
    const theirs = await open(other);
    expect((await ping(t, sids[0]!)).status).toBe(200);
    // Ending one makes room again.
    expect((await remove(t, sids[0]!)).status).toBe(200);
    sids[0] = await open(t);
    for (const sid of sids) await remove(t, sid);
    await remove(other, theirs);
  });

  it('refuses past maxTotal with limit "total"', async () => {
    const opened: [string, string][] = [];
    for (let i = 0; i < 6; i++) {
      const t = await token(`crowd-${i}`);
      opened.push([t, await open(t)]);
    }
    const refused = await initialize(await token('latecomer'));
    expect(refused.status).toBe(429);
    expect(refused.json.error.data).toMatchObject({ code: 'ERR_SESSION_LIMIT', limit: 'total', max: 6 });
    for (const [t, sid] of opened) await remove(t, sid);
  });
});

describe('idle sessions', () => {
  it('ends a session idle past idleTimeoutMs (audited), which then answers 404; a session with an open stream stays', async () => {
    const t = await token('sleeper');
    const idle = await open(t, quick);
    const watched = await open(t, quick);
    const stream = await openSse(quick.mcpUrl, { ...auth(t), 'mcp-session-id': watched, 'mcp-protocol-version': '2025-11-25' });
    expect(stream.status).toBe(200);
    const rec = await auditRecord((r) => r.event === 'session_closed' && r.sessionId === idle, quick);
    expect(rec.metadata).toEqual({ reason: 'idle' });
    const gone = await ping(t, idle, quick);
    expect(gone.status).toBe(404);
    expect(gone.json.error.data.code).toBe('ERR_SESSION_NOT_FOUND');
    expect((await ping(t, watched, quick)).status).toBe(200);
    stream.close();
    await remove(t, watched, quick);
  });
});

describe('a call longer than the idle timeout', () => {
  it('keeps its session: a request during it and after it is served, and the call completes', async () => {
    const t = await token('patient');
    const sid = await open(t, quick);
    const headers = { ...auth(t), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    // 10 x 1 s against an idle timeout of 4 s.
    const call = rawRequest(quick.mcpUrl, { body: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fx_slow', arguments: { steps: 10, delayMs: 1000 } } }, headers: { ...headers, accept: 'application/json' } });
    let answered = false;
    void call.then(() => (answered = true));
    // What is tested is time passing: more than the idle timeout since the session's last request.
    await new Promise((r) => setTimeout(r, 5000));
    const during = await ping(t, sid, quick);
    expect(answered).toBe(false);
    expect(during.status).toBe(200);
    const answer = await call;
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.json)).toContain('done 10');
    expect((await ping(t, sid, quick)).status).toBe(200);
    await remove(t, sid, quick);
  }, 30000);
});

describe('capabilities', () => {
  it('an initialize whose capabilities exceed 16 KiB is refused 400 ERR_LIMIT_EXCEEDED (they would live as long as the session)', async () => {
    const t = await token('hoarder');
    const big = { ...INITIALIZE, params: { ...INITIALIZE.params, capabilities: { experimental: { blob: 'x'.repeat(17 * 1024) } } } };
    const r = await rawRequest(hub.mcpUrl, { body: big, headers: auth(t) });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ id: INITIALIZE.id, error: { message: 'Request exceeds a structural limit (depth, string length, array or object size)', data: { code: 'ERR_LIMIT_EXCEEDED', limit: 'capabilities', max: 16384 } } });
    expect(r.headers['mcp-session-id']).toBeUndefined();
  });
});

describe('tokens that end', () => {
  it('a logout ends the token\'s open GET stream and its session within seconds (audited); another user\'s stream goes on', async () => {
    const login = await rawRequest(`${hub.url}/auth/login`, { body: { username: 'alice', password: PASSWORD } });
    expect(login.status).toBe(200);
    const t = login.json.token as string;
    const sid = await open(t);
    const stream = await openSse(hub.mcpUrl, { ...auth(t), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    const other = await token('onlooker');
    const otherSid = await open(other);
    const otherStream = await openSse(hub.mcpUrl, { ...auth(other), 'mcp-session-id': otherSid, 'mcp-protocol-version': '2025-11-25' });

    const out = await rawRequest(`${hub.url}/auth/logout`, { headers: auth(t) });
    expect(out.status).toBe(204);
    await stream.ended;
    const rec = await auditRecord((r) => r.event === 'session_closed' && r.sessionId === sid);
    expect(rec.metadata).toEqual({ reason: 'token_revoked' });
    expect((await ping(other, otherSid)).status).toBe(200);
    let otherEnded = false;
    void otherStream.ended.then(() => (otherEnded = true));
    // The onlooker's session outlived the sweep that ended alice's.
    expect(otherEnded).toBe(false);
    otherStream.close();
    await remove(other, otherSid);
  });

  it('an expiring token ends its stream and session at expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await token('shortlived', { exp: now + 3 });
    const sid = await open(t);
    const stream = await openSse(hub.mcpUrl, { ...auth(t), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    await stream.ended;
    const rec = await auditRecord((r) => r.event === 'session_closed' && r.sessionId === sid);
    expect(rec.metadata).toEqual({ reason: 'token_expired' });
    const later = await token('shortlived');
    const gone = await ping(later, sid);
    expect(gone.status).toBe(404);
  });
});

describe('a revocation store that cannot answer', () => {
  it('one missed check is a blip (logged); two in a row end the session and its stream (fail closed, audited)', async () => {
    const port = await freePort();
    const redis = spawnProcess('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']);
    await redis.waitForLine(/Ready to accept connections/);
    const h = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: { enabled: true, type: 'jwt', secret: SECRET, algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'], revocation: { store: `redis://127.0.0.1:${port}` } },
        authorization: { enabled: true },
      },
    });
    try {
      const t = await token('redis-user');
      const sid = await open(t, h);
      const stream = await openSse(h.mcpUrl, { ...auth(t), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
      await redis.kill();
      await h.proc.waitForLine(/token of a session could not be checked/);
      let ended = false;
      void stream.ended.then(() => (ended = true));
      // The first miss did not end it: the next sweep, 2 s later, does.
      expect(ended).toBe(false);
      await stream.ended;
      const rec = await auditRecord((r) => r.event === 'session_closed' && r.sessionId === sid, h);
      expect(rec.metadata).toEqual({ reason: 'token_unverifiable' });
    } finally {
      await h.stop();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});
