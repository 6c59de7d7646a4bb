// Every metric the security guide's alerts read moves when its event happens,
// scraped from /metrics of the real hub process before and after: bad tokens
// (hatago_auth_failures_total), a rate-limited call
// (hatago_rate_limit_exceeded_total) and a breaker opening
// (hatago_circuit_breaker_state). The scrape itself passes promtool check metrics.
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { openSession } from '../audit/helpers.js';
import { hs256Token } from '../helpers/tokens.js';
import { promtool, sample, scrape, stopAndRemove } from './helpers.js';

useProcessCleanup();

const SECRET = 'metrics-e2e-secret-0123456789-0123456789!!';
const WRONG = 'not-the-hub-secret-0123456789-0123456789!!';
let hub: HubProcess;
let admin: string;

/** A session's tools/call, as the audit tests open one. */
async function session(authorization: string) {
  return (await openSession(hub, { authorization })).call;
}

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio(), flaky: { ...fixtureStdio(), tags: ['external-services'] } },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      authorization: { enabled: true },
      rateLimit: { enabled: true, rules: [{ name: 'per-user', windowMs: 60000, max: 2, keyGenerator: 'user', filter: 'mcp:tools:call' }] },
      circuitBreaker: { enabled: true, rules: { 'external-services': { failureThreshold: 1, resetTimeoutMs: 600000, halfOpenMaxCalls: 1 } } },
    },
  });
  admin = `Bearer ${await hs256Token(SECRET, { sub: 'ops', roles: ['admin'] })}`;
});

afterAll(async () => {
  await stopAndRemove(hub);
});

describe('the guide\'s metrics on a real hub', () => {
  it('hatago_auth_failures_total counts bad, expired and missing tokens, by code', async () => {
    const before = await scrape(hub, admin);
    const bad = `Bearer ${await hs256Token(WRONG, { sub: 'eve', roles: ['admin'] })}`;
    const expired = `Bearer ${await hs256Token(SECRET, { sub: 'eve', roles: ['admin'], iat: 1000, exp: 2000 })}`;
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: bad } })).status).toBe(401);
    expect((await rawRequest(`${hub.url}/metrics`, { method: 'GET', headers: { authorization: bad } })).status).toBe(401);
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: expired } })).status).toBe(401);
    const missing = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
    expect(missing.status).toBe(401);
    const after = await scrape(hub, admin);
    const moved = (code: string) => sample(after, 'hatago_auth_failures_total', { code }) - sample(before, 'hatago_auth_failures_total', { code });
    expect(moved('ERR_TOKEN_INVALID')).toBe(2);
    expect(moved('ERR_TOKEN_EXPIRED')).toBe(1);
    expect(moved(missing.json.error.data.code)).toBe(1);
    expect(after).toContain('# TYPE hatago_auth_failures_total counter');
  });

  it('hatago_rate_limit_exceeded_total counts a refused call, by rule', async () => {
    const before = await scrape(hub, admin);
    const call = await session(`Bearer ${await hs256Token(SECRET, { sub: 'busy', roles: ['admin'] })}`);
    for (let i = 0; i < 2; i++) expect((await call('fx_echo', { text: `t${i}` })).status).toBe(200);
    const refused = await call('fx_echo', { text: 'one too many' });
    expect(refused.status).toBe(429);
    expect(refused.json.error.data).toMatchObject({ code: 'ERR_RATE_LIMITED', limit: 'per-user' });
    const after = await scrape(hub, admin);
    expect(sample(before, 'hatago_rate_limit_exceeded_total', { rule: 'per-user' })).toBe(0);
    expect(sample(after, 'hatago_rate_limit_exceeded_total', { rule: 'per-user' })).toBe(1);
  });

  it('hatago_circuit_breaker_state goes to 1 when a breaker opens', async () => {
    const before = await scrape(hub, admin);
    expect(before).toContain('hatago_circuit_breaker_state{server="flaky"} 0');
    const call = await session(admin);
    const crashed = await call('flaky_crash');
    expect(crashed.json.error.data.code).toBe('ERR_UPSTREAM_UNAVAILABLE');
    const after = await scrape(hub, admin);
    expect(sample(after, 'hatago_circuit_breaker_state', { server: 'flaky' })).toBe(1);
    expect(sample(after, 'hatago_circuit_breaker_state', { server: 'fx' })).toBe(0);
  });

  it('the live scrape passes promtool check metrics (every family has samples by now)', async () => {
    const text = await scrape(hub, admin);
    expect(sample(text, 'hatago_auth_failures_total', { code: 'ERR_TOKEN_INVALID' })).toBeGreaterThan(0);
    expect(sample(text, 'hatago_rate_limit_exceeded_total', { rule: 'per-user' })).toBeGreaterThan(0);
    const r = promtool(['check', 'metrics'], text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});
