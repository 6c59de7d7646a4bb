// Which endpoints every address may reach is the network policy's decision
// (data.hatago.openEndpoints, replaced by security.network.openEndpoints):
// the probes and the RFC 9728 metadata pass the network stage like every
// other request, and the shipped list lets them through. 127.0.0.2 is in
// blockedIPs on both hubs; only the list differs.
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest, type RawResponse } from '../helpers/http-client.js';
import { freePort, useProcessCleanup } from '../helpers/processes.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();

const METADATA = '/.well-known/oauth-protected-resource/mcp';
const BARE_METADATA = '/.well-known/oauth-protected-resource';
const BLOCKED = '127.0.0.2';

let shipped: HubProcess; // the bundle's list
let liveOnly: HubProcess; // security.network.openEndpoints: ["/health"]

/** type oauth2 (the only one with RFC 9728 metadata); the provider is never asked by these requests. */
async function oauthHub(network: Record<string, unknown>): Promise<HubProcess> {
  const port = await freePort();
  return startHubProcess({
    http: { port },
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: {
        enabled: true,
        type: 'oauth2',
        provider: { issuer: 'http://127.0.0.1:9/realms/none', resource: `http://127.0.0.1:${port}/mcp`, scope: ['mcp'] },
      },
      network: { blockedIPs: [`${BLOCKED}/32`], ...network },
    },
  });
}

beforeAll(async () => {
  [shipped, liveOnly] = await Promise.all([oauthHub({}), oauthHub({ openEndpoints: ['/health'] })]);
});

afterAll(async () => {
  await Promise.all([stopAndRemove(shipped), stopAndRemove(liveOnly)]);
});

const get = (hub: HubProcess, path: string, from: string): Promise<RawResponse> => rawRequest(`${hub.url}${path}`, { method: 'GET', localAddress: from });

function expectNetworkDenied(res: RawResponse): void {
  expect(res.status).toBe(403);
  expect(res.json).toEqual({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32003, message: 'Forbidden: client address not allowed', data: { code: 'ERR_NETWORK_DENIED', decisionId: expect.any(String) } },
  });
}

describe('the shipped open endpoints', () => {
  it('answer a blocked address: /health, /health/ready and both metadata paths', async () => {
    for (const path of ['/health', '/health/ready', METADATA, BARE_METADATA]) {
      const res = await get(shipped, path, BLOCKED);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    expect((await get(shipped, METADATA, BLOCKED)).json).toMatchObject({ resource: `${shipped.url}/mcp`, scopes_supported: ['mcp'] });
  });

  it('do not open their neighbours: /health/details and /mcp stay behind blockedIPs', async () => {
    expectNetworkDenied(await get(shipped, '/health/details', BLOCKED));
    expectNetworkDenied(await rawRequest(shipped.mcpUrl, { body: { jsonrpc: '2.0', id: 1, method: 'ping' }, localAddress: BLOCKED }));
  });
});

describe('security.network.openEndpoints replaces the list', () => {
  it('keeps /health open to the blocked address', async () => {
    const res = await get(liveOnly, '/health', BLOCKED);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('puts /health/ready and the metadata behind blockedIPs: 403 ERR_NETWORK_DENIED, recorded as network_denied', async () => {
    for (const path of ['/health/ready', METADATA, BARE_METADATA]) expectNetworkDenied(await get(liveOnly, path, BLOCKED));
    await liveOnly.proc.waitForLine(/"message":"network denied".*"reasons":\[\{"message":"client address 127\.0\.0\.2 is in blockedIPs","rule":"network\.blocked_ip"\}\]/);
    const denied = auditRecords(liveOnly).filter((r) => r.event === 'network_denied');
    expect(denied.length).toBeGreaterThanOrEqual(3);
    expect(denied[0]!.metadata).toMatchObject({ code: 'ERR_NETWORK_DENIED', reasons: [{ rule: 'network.blocked_ip' }] });
  });

  it('still answers the other addresses', async () => {
    expect((await get(liveOnly, '/health/ready', '127.0.0.3')).status).toBe(200);
    expect((await get(liveOnly, METADATA, '127.0.0.3')).status).toBe(200);
  });
});
