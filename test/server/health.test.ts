// /health is liveness and nothing else: it names no upstream, breaker or
// policy, to anyone. The details moved to GET /health/details, which runs
// like an MCP request: the network stage, authentication, then the policy's
// decision for method admin/status (the shipped admin role's admin:*:*).
import { rmSync } from 'node:fs';
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest, type RawResponse } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'health-secret-0123456789-0123456789-0123456789';
let hub: HubProcess;

beforeAll(async () => {
  hub = await startHubProcess(
    {
      mcpServers: { 'fx-secret-upstream': fixtureStdio() },
      security: {
        authentication: { enabled: true, secret: '${E2E_SECRET}', algorithms: ['HS256'] },
        authorization: { enabled: true },
        network: { blockedIPs: ['127.0.0.2/32'] },
      },
    },
    { env: { E2E_SECRET: SECRET } },
  );
});
afterAll(async () => {
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
});

const get = (path: string, opts: { token?: string; from?: string } = {}): Promise<RawResponse> =>
  rawRequest(`${hub.url}${path}`, { method: 'GET', localAddress: opts.from ?? '127.0.0.3', headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} });

const tokenFor = (roles: string[], extra: Record<string, unknown> = {}) => hs256Token(SECRET, { sub: `u-${roles.join('-') || 'none'}`, roles, ...extra });

describe('GET /health and /health/ready', () => {
  it('answers {"status":"ok"} and nothing more, to any address, blocked ones included', async () => {
    for (const from of ['127.0.0.2', '127.0.0.3']) {
      const res = await get('/health', { from });
      expect({ from, status: res.status, body: res.json, cache: res.headers['cache-control'] }).toEqual({ from, status: 200, body: { status: 'ok' }, cache: 'no-store' });
    }
  });

  it('readiness says ready or not, naming nothing', async () => {
    const res = await get('/health/ready', { from: '127.0.0.2' });
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: { status: 'ready' } });
  });
});

describe('GET /health/details', () => {
  it('a blocked address gets 403 ERR_NETWORK_DENIED, even with an admin token, and no upstream id', async () => {
    const res = await get('/health/details', { from: '127.0.0.2', token: await tokenFor(['admin']) });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: -32003, message: 'Forbidden: client address not allowed', data: { code: 'ERR_NETWORK_DENIED' } });
    expect(res.text).not.toContain('fx-secret-upstream');
  });

  it('without a token is 401 ERR_UNAUTHENTICATED with the Bearer challenge', async () => {
    const res = await get('/health/details');
    expect({ status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({ status: 401, challenge: 'Bearer realm="hatago"' });
    expect(res.json.error).toMatchObject({ code: -32001, message: 'Authentication required', data: { code: 'ERR_UNAUTHENTICATED' } });
    expect(res.text).not.toContain('fx-secret-upstream');
  });

  it('a non-admin token is 403 ERR_PERMISSION_DENIED, and the denial is audited with the rule', async () => {
    const before = auditRecords(hub).length;
    const res = await get('/health/details', { token: await tokenFor(['user']) });
    expect(res.status).toBe(403);
    expect(res.json.error).toEqual({ code: -32003, message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED', decisionId: expect.any(String) } });
    expect(res.text).not.toContain('fx-secret-upstream');
    const denied = auditRecords(hub).slice(before).filter((r) => r.event === 'permission_denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ decisionId: res.json.error.data.decisionId, user: 'u-user', metadata: { method: 'admin/status', code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'rbac.missing_permission' }] } });
  });

  it('an admin token narrowed by its permissions claim is refused too', async () => {
    const res = await get('/health/details', { token: await tokenFor(['admin'], { permissions: ['mcp:tools:list'] }) });
    expect({ status: res.status, code: res.json.error.data.code }).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED' });
  });

  it('an admin gets the upstreams, breakers and policy state', async () => {
    const res = await get('/health/details', { token: await tokenFor(['admin']) });
    expect({ status: res.status, cache: res.headers['cache-control'] }).toEqual({ status: 200, cache: 'no-store' });
    expect(res.json).toMatchObject({
      status: 'ok',
      upstreams: [expect.objectContaining({ id: 'fx-secret-upstream', state: 'ready' })],
      circuitBreakers: { servers: { 'fx-secret-upstream': expect.objectContaining({ state: 'closed' }) } },
      policy: { revision: expect.stringMatching(/^sha256:/), source: 'file' },
    });
  });
});
