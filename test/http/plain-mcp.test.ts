// POST/GET/DELETE on exactly /mcp go from the HTTP server straight to the
// /mcp handler (src/http/app.ts isPlainMcp); every other spelling express
// routes to the same handler keeps going through express. Both ways must
// answer alike: the same stages (a missing token is the same 401), the same
// session, the same errors.
import type { IncomingMessage } from 'node:http';
import { isPlainMcp } from '../../src/http/app.js';
import { startHubProcess, fixtureStdio, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { stopAndRemove } from '../metrics/helpers.js';

const SECRET = 'plain-mcp-secret-0123456789-abcdefghijklmnop';

test.each([
  ['POST', '/mcp', true],
  ['GET', '/mcp', true],
  ['DELETE', '/mcp', true],
  ['OPTIONS', '/mcp', false],
  ['HEAD', '/mcp', false],
  ['PUT', '/mcp', false],
  ['POST', '/mcp/', false],
  ['POST', '/MCP', false],
  ['POST', '/mcp?x=1', false],
  ['POST', '/mcpx', false],
  ['POST', '/health', false],
])('isPlainMcp(%s %s) is %s', (method, url, plain) => {
  expect(isPlainMcp({ method, url } as IncomingMessage)).toBe(plain);
});

describe('the direct /mcp route answers as express routes the other spellings', () => {
  useProcessCleanup();
  let hub: HubProcess;
  let auth: Record<string, string>;
  const spellings = ['/mcp', '/mcp/', '/MCP', '/mcp?x=1'];
  const at = (spelling: string) => hub.mcpUrl.replace(/\/mcp$/, spelling);

  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
        authorization: { enabled: true, roles: { user: { permissions: ['mcp:tools:list'] } } },
      },
    });
    auth = { authorization: `Bearer ${await hs256Token(SECRET, { sub: 'alice', roles: ['user'] })}` };
  });

  afterAll(async () => {
    await stopAndRemove(hub);
  });

  test.each(spellings)('POST %s without a token: 401 ERR_UNAUTHENTICATED with the challenge', async (spelling) => {
    const r = await rawRequest(at(spelling), { body: INITIALIZE });
    expect({ status: r.status, code: r.json?.error?.data?.code, challenge: r.headers['www-authenticate']?.startsWith('Bearer') }).toEqual({
      status: 401,
      code: 'ERR_UNAUTHENTICATED',
      challenge: true,
    });
  });

  test.each(spellings)('POST %s: initialize opens a session, tools/list answers on it, DELETE ends it', async (spelling) => {
    const init = await rawRequest(at(spelling), { body: INITIALIZE, headers: auth });
    expect(init.status).toBe(200);
    const sid = init.headers['mcp-session-id'];
    expect(typeof sid).toBe('string');
    const session = { ...auth, 'mcp-session-id': sid as string, 'mcp-protocol-version': '2025-11-25' };
    const list = await rawRequest(at(spelling), { body: { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers: session });
    expect(list.status).toBe(200);
    expect(list.json.result.tools.map((t: { name: string }) => t.name)).toContain('fx_echo');
    const del = await rawRequest(at(spelling), { method: 'DELETE', headers: session });
    expect(del.status).toBe(200);
    const after = await rawRequest(at(spelling), { body: { jsonrpc: '2.0', id: 3, method: 'tools/list' }, headers: session });
    expect({ status: after.status, code: after.json?.error?.data?.code }).toEqual({ status: 404, code: 'ERR_SESSION_NOT_FOUND' });
  });

  test.each(spellings)('POST %s with a body that is not JSON: 400 ERR_PARSE', async (spelling) => {
    const r = await rawRequest(at(spelling), { body: '{"jsonrpc":', headers: auth });
    expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: 400, code: -32700 });
  });
});
