// Who may read GET /metrics is the policy's decision, method admin/metrics,
// as /health/details is method admin/status: the shipped admin role's
// admin:*:* grants it, admin:metrics:read grants only it; every decision is
// audited and counted by rate limits that apply to every request.
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest, type RawResponse } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { stopAndRemove } from './helpers.js';

useProcessCleanup();

const SECRET = 'metrics-access-secret-0123456789-0123456789!!';
const SCRAPES_PER_MINUTE = 3;
let hub: HubProcess;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      // Operator roles are added to the bundle's admin, user, readonly and analyst.
      authorization: { enabled: true, roles: { scraper: { permissions: ['admin:metrics:read'] } } },
      // No filter: the rule counts every request of an address, /metrics included.
      rateLimit: { enabled: true, rules: [{ name: 'per-address', windowMs: 60000, max: SCRAPES_PER_MINUTE, keyGenerator: 'ip' }] },
    },
  });
});

afterAll(async () => {
  await stopAndRemove(hub);
});

// Each test from its own address: the rate limit counts per address.
const get = async (path: string, roles: string[], from: string): Promise<RawResponse> =>
  rawRequest(`${hub.url}${path}`, { method: 'GET', localAddress: from, headers: { authorization: `Bearer ${await hs256Token(SECRET, { sub: `u-${roles.join('-')}`, roles })}` } });

describe('GET /metrics asks the policy for method admin/metrics', () => {
  it('the shipped admin role reads it, and the grant is audited', async () => {
    const before = auditRecords(hub).length;
    const res = await get('/metrics', ['admin'], '127.0.3.1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('# TYPE hatago_circuit_breaker_state gauge');
    const granted = auditRecords(hub).slice(before).filter((r) => r.event === 'permission_granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ user: 'u-admin', metadata: { method: 'admin/metrics' } });
  });

  it('role user is refused: 403 ERR_PERMISSION_DENIED, no metric, the denial audited with its rule', async () => {
    const before = auditRecords(hub).length;
    const res = await get('/metrics', ['user'], '127.0.3.2');
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32003, message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED', decisionId: expect.any(String) } } });
    expect(res.text).not.toContain('hatago_');
    const denied = auditRecords(hub).slice(before).filter((r) => r.event === 'permission_denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ decisionId: res.json.error.data.decisionId, user: 'u-user', metadata: { method: 'admin/metrics', code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'rbac.missing_permission' }] } });
  });

  it('admin:metrics:read grants /metrics and not /health/details', async () => {
    expect((await get('/metrics', ['scraper'], '127.0.3.3')).status).toBe(200);
    const details = await get('/health/details', ['scraper'], '127.0.3.3');
    expect({ status: details.status, code: details.json.error.data.code }).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED' });
  });

  it('scrapes count against a rate limit that applies to every request: 429 ERR_RATE_LIMITED past it', async () => {
    for (let i = 0; i < SCRAPES_PER_MINUTE; i++) expect((await get('/metrics', ['scraper'], '127.0.3.4')).status).toBe(200);
    const res = await get('/metrics', ['scraper'], '127.0.3.4');
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ message: 'Rate limit exceeded', data: { code: 'ERR_RATE_LIMITED' } });
    expect(res.text).not.toContain('hatago_circuit_breaker_state');
  });
});
