// Network ACLs, trusted proxies, the Origin rule and CORS, decided by the
// shipped Rego inside the real hub. Clients connect from chosen loopback
// source addresses (127.0.0.2, 127.0.0.3) to test address rules for real.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const SECRET = 'net-secret-0123456789-0123456789-0123456789!';

describe('allowedIPs with blockedIPs 0.0.0.0/0 (the guide: "only these")', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
        network: { allowedIPs: ['127.0.0.1/32', '127.0.0.3'], blockedIPs: ['0.0.0.0/0'] },
      },
    });
  });

  it('lets listed addresses through to authentication', async () => {
    for (const localAddress of ['127.0.0.1', '127.0.0.3']) {
      const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress });
      expect({ localAddress, status: res.status, code: res.json.error.data.code }).toEqual({ localAddress, status: 401, code: 'ERR_UNAUTHENTICATED' });
    }
  });

  it('answers 403 to any other address, before any token is looked at', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.2', headers: { authorization: 'Bearer garbage' } });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: -32003, message: 'Forbidden: client address not allowed', data: { code: 'ERR_NETWORK_DENIED' } });
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});

describe('blockedIPs alone', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({ mcpServers: {}, security: { network: { blockedIPs: ['127.0.0.2/32'] } } });
  });

  it('blocks only the listed range', async () => {
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.2' })).status).toBe(403);
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.4' })).status).toBe(200);
  });
});

describe('trustedProxies and X-Forwarded-For', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: {},
      security: { network: { allowedIPs: ['198.51.100.7/32'], blockedIPs: ['0.0.0.0/0'], trustedProxies: ['127.0.0.3'] } },
    });
  });

  it('honours X-Forwarded-For from a trusted proxy', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(res.status).toBe(200);
  });

  it('uses the forwarded client address for the decision', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(403);
    expect(res.json.error.data.code).toBe('ERR_NETWORK_DENIED');
  });

  it('ignores X-Forwarded-For from anyone else', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(res.status).toBe(403);
  });

  it('skips trusted hops from the right and never trusts what a client prepends', async () => {
    const spoofed = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' } });
    expect(spoofed.status).toBe(403);
    const chained = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '198.51.100.7, 127.0.0.3' } });
    expect(chained.status).toBe(200);
  });
});

describe('Origin (MCP rule against DNS rebinding) and CORS', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: {},
      security: { network: { cors: { enabled: true, origin: ['https://app.company.com'], credentials: true } } },
    });
  });

  it('answers 403 to a request whose Origin is not allowed', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: -32003, message: 'Forbidden: origin not allowed', data: { code: 'ERR_ORIGIN_DENIED' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves an allowed Origin with CORS headers', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { origin: 'https://app.company.com' } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.company.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-expose-headers'])).toContain('Mcp-Session-Id');
  });

  it('serves a request without Origin (non-browser clients)', async () => {
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE })).status).toBe(200);
  });

  it('answers a CORS preflight for an allowed Origin', async () => {
    const res = await rawRequest(hub.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.company.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-session-id' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.company.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('mcp-session-id');
  });

  it('refuses a preflight from another Origin', async () => {
    const res = await rawRequest(hub.mcpUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    // The same network stage as every request: the refusal is in the audit trail before the answer.
    const audit = readFileSync(path.join(hub.dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; decisionId?: string; metadata: { origin?: string } });
    expect(audit.find((r) => r.event === 'network_denied' && r.decisionId === res.json.error.data.decisionId)).toMatchObject({ metadata: { origin: 'https://evil.example' } });
  });
});

describe('Origin without a configured list', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({ mcpServers: {} });
  });

  it('allows loopback origins only', async () => {
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { origin: 'http://localhost:5173' } })).status).toBe(200);
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { origin: 'http://attacker.example' } })).status).toBe(403);
  });
});
