// `hatago metrics --filter circuit_breaker` against a running hub's /metrics.
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

let hub: HubProcess;

beforeAll(async () => {
  hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, security: { network: { allowedIPs: ['127.0.0.1/32'], blockedIPs: ['0.0.0.0/0'] } } });
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

  it('says clearly when no hub answers', async () => {
    const { code, output } = await runHatago(['metrics', '--url', 'http://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(output).toMatch(/^hatago: No hub answers at http:\/\/127\.0\.0\.1:1/);
  });
});
