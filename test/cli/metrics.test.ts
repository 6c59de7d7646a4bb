// `hatago metrics --filter circuit_breaker` against a running hub's /metrics.
import { rmSync } from 'node:fs';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

let hub: HubProcess;

// Reading /metrics is method admin/metrics: a role with admin:metrics:read (and nothing else here).
const SCRAPER = { scraper: { permissions: ['admin:metrics:read'] } };

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      network: { allowedIPs: ['127.0.0.1/32'], blockedIPs: ['0.0.0.0/0'] },
      // Authentication off (loopback): the anonymous caller gets defaultRole.
      authorization: { enabled: true, roles: SCRAPER, defaultRole: 'scraper' },
    },
  });
});

afterAll(async () => {
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
});

describe('/metrics', () => {
  it('exposes the breaker state gauge per server, in Prometheus text', async () => {
    const res = await rawRequest(`${hub.url}/metrics?filter=circuit_breaker`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('# TYPE hatago_circuit_breaker_state gauge');
    expect(res.text).toContain('hatago_circuit_breaker_state{server="fx"} 0');
    expect(res.text).not.toContain('hatago_rate_limit_exceeded');
  });

  it('is behind the same network policy as /mcp', async () => {
    const res = await rawRequest(`${hub.url}/metrics`, { method: 'GET', localAddress: '127.0.0.2' });
    expect(res.status).toBe(403);
    expect(res.json.error.data.code).toBe('ERR_NETWORK_DENIED');
  });
});

describe('hatago metrics', () => {
  it('prints the filtered families of the hub the config names', async () => {
    const { code, output } = await runHatago(['metrics', '--config', `${hub.dir}/hatago.config.json`, '--filter', 'circuit_breaker']);
    expect(code).toBe(0);
    expect(output).toContain('hatago_circuit_breaker_state{server="fx"} 0');
    expect(output).not.toContain('hatago_auth_failures');
  });

  it('keeps the counters the guide\'s alerts read, named with _total', async () => {
    const { code, output } = await runHatago(['metrics', '--url', hub.url, '--filter', 'exceeded']);
    expect(code).toBe(0);
    expect(output).toContain('# TYPE hatago_rate_limit_exceeded_total counter');
  });

  it('says clearly when no hub answers', async () => {
    const { code, output } = await runHatago(['metrics', '--url', 'http://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(output).toMatch(/^hatago: No hub answers at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('hatago metrics with authentication on', () => {
  const SECRET = 'cli-metrics-secret-0123456789-0123456789!!';
  let authHub: HubProcess;
  let base: string;
  const run = (token: string) => runHatago(['metrics', '--url', base, '--filter', 'auth_failures'], { env: { HATAGO_AUTH_TOKEN: token } });
  const lines = (output: string) => output.trim().split('\n');

  beforeAll(async () => {
    // Three failures block the address (127.0.0.1: the CLI's own) for a minute.
    authHub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
        authorization: { enabled: true, roles: SCRAPER },
        suspicious: { block: { authFailures: 3, durationMs: 60000 } },
      },
    });
    base = authHub.url;
  });

  afterAll(async () => {
    await authHub.stop();
    rmSync(authHub.dir, { recursive: true, force: true });
  });

  it('reads the token from HATAGO_AUTH_TOKEN', async () => {
    const { code, output } = await run(await hs256Token(SECRET, { sub: 'metrics', roles: ['scraper'] }));
    expect(output).toContain('# TYPE hatago_auth_failures_total counter');
    expect(code).toBe(0);
  });

  it('GET /metrics with a valid token whose roles lack admin:metrics:read: 403 ERR_PERMISSION_DENIED, a decisionId, no metrics', async () => {
    const res = await rawRequest(`${base}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${await hs256Token(SECRET, { sub: 'reader', roles: ['readonly'] })}` } });
    expect(res.status).toBe(403);
    expect(res.json.error).toEqual({ code: -32003, message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED', decisionId: expect.any(String) } });
    expect(res.text).not.toContain('hatago_');
    await authHub.proc.waitForLine(/"message":"request denied","method":"admin\/metrics".*"rule":"rbac\.missing_permission".*"user":"reader"/);
  });

  it('with a valid token whose roles lack admin:metrics:read: one line that names the permission', async () => {
    const { code, output } = await run(await hs256Token(SECRET, { sub: 'metrics', roles: ['user'] }));
    expect(code).toBe(1);
    expect(lines(output)).toEqual([`hatago: ${base}/metrics: the policy refused method admin/metrics: the caller needs a role with admin:metrics:read (docs/metrics.md) [ERR_PERMISSION_DENIED]`]);
  });

  it('without a token: one line that names HATAGO_AUTH_TOKEN', async () => {
    const { code, output } = await run('');
    expect(code).toBe(1);
    expect(lines(output)).toEqual([`hatago: ${base}/metrics requires authentication: set HATAGO_AUTH_TOKEN to a bearer token the hub accepts [ERR_UNAUTHENTICATED]`]);
  });

  it('with a refused token: one line with the hub\'s reason and code', async () => {
    const { code, output } = await run(await hs256Token('some-other-secret-0123456789-0123456789!!', { sub: 'metrics' }));
    expect(code).toBe(1);
    expect(lines(output)).toEqual([`hatago: ${base}/metrics refused the token in HATAGO_AUTH_TOKEN: Invalid token [ERR_TOKEN_INVALID]`]);
  });

  it('when the address is blocked: one line with the end of the block and the way out', async () => {
    expect((await run('x.y.z')).code).toBe(1); // third failure: the policy blocks 127.0.0.1
    const { code, output } = await run(await hs256Token(SECRET, { sub: 'metrics', roles: ['scraper'] }));
    expect(code).toBe(1);
    expect(lines(output)).toHaveLength(1);
    expect(output).toMatch(
      new RegExp(`^hatago: ${base.replace(/[.]/g, '\\.')}/metrics: this address is blocked after suspicious activity until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(retry in \\d+ s\\); exempt scrapers with security\\.suspicious\\.exemptAddresses \\[ERR_CLIENT_BLOCKED\\]\\n$`),
    );
  });
});

describe('hatago metrics --help', () => {
  it('says where the token comes from and how to keep scrapers from being blocked', async () => {
    const { code, output } = await runHatago(['metrics', '--help']);
    expect(code).toBe(0);
    expect(output).toContain('HATAGO_AUTH_TOKEN');
    expect(output).toContain('hatago token --sub metrics --roles admin');
    expect(output).toContain('403 ERR_CLIENT_BLOCKED');
    expect(output).toContain('security.suspicious.exemptAddresses');
  });
});
