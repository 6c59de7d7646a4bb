// Suspicious-activity blocks on a real hub: a blocked address is answered 403
// ERR_CLIENT_BLOCKED with Retry-After and the end of the block in data (from
// the policy's blocked_until_ns), on /mcp, /metrics and the token endpoints;
// an address in security.suspicious.exemptAddresses is never blocked, however
// many bad tokens it sends, and its bursts are still recorded.
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { auditRecords } from '../audit/helpers.js';
import { stopAndRemove } from './helpers.js';

useProcessCleanup();

const SECRET = 'blocked-e2e-secret-0123456789-0123456789!!';
const WRONG = 'not-the-hub-secret-0123456789-0123456789!!';
const BLOCK_MS = 600000;
let hub: HubProcess;
let bad: string;
let good: string;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      suspicious: { authFailures: 3, cooldownMs: 3600000, block: { authFailures: 3, durationMs: BLOCK_MS }, exemptAddresses: ['127.0.0.1/32', '127.0.0.4'] },
    },
  });
  bad = `Bearer ${await hs256Token(WRONG, { sub: 'mallory', roles: ['admin'] })}`;
  good = `Bearer ${await hs256Token(SECRET, { sub: 'ops', roles: ['admin'] })}`;
});

afterAll(async () => {
  await stopAndRemove(hub);
});

const initialize = (authorization: string, localAddress: string) => rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization }, localAddress });

/** 403 with a Retry-After (whole seconds, at most the block) that agrees with blockedUntil. */
function expectBlockAnswer(r: Awaited<ReturnType<typeof rawRequest>>, blockedUntil: string): void {
  expect(r.status).toBe(403);
  const retry = Number(r.headers['retry-after']);
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(BLOCK_MS / 1000);
  expect(Math.abs(Date.parse(blockedUntil) - (Date.now() + retry * 1000))).toBeLessThan(5000);
}

describe('a blocked address', () => {
  it('gets 403 ERR_CLIENT_BLOCKED with Retry-After (seconds) and blockedUntil, even with a good token', async () => {
    const start = Date.now();
    for (let i = 0; i < 3; i++) expect((await initialize(bad, '127.0.0.2')).status).toBe(401);
    const r = await initialize(good, '127.0.0.2');
    expect(r.json.error).toMatchObject({ code: -32003, message: 'Forbidden: client address blocked after suspicious activity', data: { code: 'ERR_CLIENT_BLOCKED' } });
    const { blockedUntil, retryAfter } = r.json.error.data as { blockedUntil: string; retryAfter: number };
    expect(blockedUntil).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const until = Date.parse(blockedUntil);
    expect(until).toBeGreaterThanOrEqual(start + BLOCK_MS);
    expect(until).toBeLessThanOrEqual(Date.now() + BLOCK_MS);
    expect(String(retryAfter)).toBe(r.headers['retry-after']);
    expectBlockAnswer(r, blockedUntil);
    // The end is the one the monitor recorded when it blocked.
    const blockedRec = auditRecords(hub).find((x) => x.event === 'suspicious_activity' && x.metadata.action === 'blocked');
    expect(blockedRec).toMatchObject({ ip: '127.0.0.2', metadata: { blockedUntil } });
  });

  it('gets the same answer on /metrics and on POST /auth/login', async () => {
    const m = await rawRequest(`${hub.url}/metrics`, { method: 'GET', headers: { authorization: good }, localAddress: '127.0.0.2' });
    expect(m.json.error.data.code).toBe('ERR_CLIENT_BLOCKED');
    expectBlockAnswer(m, m.json.error.data.blockedUntil);
    const login = await rawRequest(`${hub.url}/auth/login`, { body: { username: 'u', password: 'p' }, localAddress: '127.0.0.2' });
    expect(login.json.error).toMatchObject({ code: 'ERR_CLIENT_BLOCKED', blockedUntil: m.json.error.data.blockedUntil });
    expectBlockAnswer(login, login.json.error.blockedUntil);
  });

  it('other answers carry no Retry-After', async () => {
    const r = await initialize(bad, '127.0.0.3');
    expect(r.status).toBe(401);
    expect(r.headers['retry-after']).toBeUndefined();
  });
});

describe('security.suspicious.exemptAddresses', () => {
  it('an exempt address (CIDR) is never blocked after many bad tokens; its burst is still recorded', async () => {
    for (let i = 0; i < 12; i++) {
      const r = await initialize(bad, '127.0.0.1');
      expect(r.status).toBe(401);
      expect(r.json.error.data.code).toBe('ERR_TOKEN_INVALID');
    }
    expect((await rawRequest(`${hub.url}/metrics`, { method: 'GET', headers: { authorization: good }, localAddress: '127.0.0.1' })).status).toBe(200);
    expect((await initialize(good, '127.0.0.1')).status).toBe(200);
    const recs = auditRecords(hub).filter((x) => x.event === 'suspicious_activity' && x.ip === '127.0.0.1');
    expect(recs.map((x) => x.metadata.action ?? 'reported')).toEqual(['reported']);
  });

  it('a bare address works as an entry too', async () => {
    for (let i = 0; i < 5; i++) expect((await initialize(bad, '127.0.0.4')).status).toBe(401);
    expect((await initialize(good, '127.0.0.4')).status).toBe(200);
  });
});
