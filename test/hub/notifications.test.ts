// Server→client messages reach only sessions allowed to see them, through the
// real hub with real principals: a server's notifications go to sessions whose
// principal the policy lets observe that server ("server/observe"), a
// notification inside one call's answer goes to that caller's session alone,
// and an upstream's request to "the client" that belongs to no call in flight
// is refused (and audited) instead of landing on whoever calls next.
import { rmSync } from 'node:fs';
import { auditRecords } from '../audit/helpers.js';
import { FIXTURE_SERVER, fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest, type RawResponse } from '../helpers/http-client.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { openSse, type SseReader } from '../helpers/sse-client.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'notifications-test-secret-0123456789-0123';
let hub: HubProcess;

interface Client {
  name: string;
  headers: Record<string, string>;
  stream: SseReader;
  call(name: string, args?: Record<string, unknown>): Promise<RawResponse>;
}

let nextId = 1;

async function connect(name: string, roles: string[], capabilities: Record<string, unknown> = {}): Promise<Client> {
  const token = await hs256Token(SECRET, { sub: name, roles, iss: 'hatago-hub', aud: 'mcp-clients' });
  const auth = { authorization: `Bearer ${token}` };
  const init = await rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name, version: '1.0.0' } } },
    headers: auth,
  });
  expect(init.status).toBe(200);
  const headers = { ...auth, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', method: 'notifications/initialized' }, headers });
  const stream = await openSse(hub.mcpUrl, headers);
  expect(stream.status).toBe(200);
  const call = (tool: string, args: Record<string, unknown> = {}) =>
    rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: tool, arguments: args } }, headers });
  return { name, headers, stream, call };
}

const logged = (data: string) => (m: Record<string, any>) => m.method === 'notifications/message' && m.params?.data === data; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A log message from the stdio server every test principal may observe: once a session has it, it has everything queued before. */
async function barrier(by: Client, everyone: Client[], data: string): Promise<void> {
  await by.call('filesystem_log', { level: 'info', message: data });
  await Promise.all(everyone.map((c) => c.stream.waitFor(logged(data))));
}

let admin: Client;
let readonly: Client;
let fsOnly: Client;

beforeAll(async () => {
  const other = spawnProcess(process.execPath, [FIXTURE_SERVER, 'http']);
  const port = (await other.waitForLine(/FIXTURE_LISTENING port=(\d+)/))[1];
  hub = await startHubProcess({
    mcpServers: { other: { url: `http://127.0.0.1:${port}/mcp` }, filesystem: fixtureStdio() },
    security: {
      authentication: { enabled: true, type: 'jwt', secret: SECRET, algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'] },
      authorization: {
        enabled: true,
        roles: {
          admin: { permissions: ['mcp:*:*'] },
          readonly: { permissions: ['mcp:tools:list'] },
          fsonly: { permissions: ['server:filesystem:*'] },
        },
      },
    },
  });
  admin = await connect('admin-ann', ['admin']);
  readonly = await connect('reader-rob', ['readonly']);
  fsOnly = await connect('fs-fay', ['fsonly']);
}, 60000);

afterAll(async () => {
  for (const c of [admin, readonly, fsOnly]) c?.stream.close();
  await hub?.stop();
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
});

describe('notifications', () => {
  it('a log message inside one call\'s answer goes to that caller\'s session only', async () => {
    const r = await admin.call('other_log_in_call', { message: 'for the caller only' });
    expect(r.status).toBe(200);
    await admin.stream.waitFor(logged('for the caller only'));
    await barrier(admin, [admin, readonly, fsOnly], 'barrier 1');
    expect(readonly.stream.messages.some(logged('for the caller only'))).toBe(false);
    expect(fsOnly.stream.messages.some(logged('for the caller only'))).toBe(false);
  });

  it('a server\'s own log messages go to sessions that may observe that server, not to a role limited to another server', async () => {
    await admin.call('other_log', { level: 'warning', message: 'from other' });
    const got = await readonly.stream.waitFor(logged('from other'));
    expect(got.params.logger).toBe('other/fixture');
    await admin.stream.waitFor(logged('from other'));
    await barrier(admin, [admin, readonly, fsOnly], 'barrier 2');
    expect(fsOnly.stream.messages.some(logged('from other'))).toBe(false);
  });

  it('list_changed of a server goes only to sessions that may observe it', async () => {
    await admin.call('other_add_tool', { name: 'fresh_tool' });
    const changed = (m: Record<string, unknown>) => m.method === 'notifications/tools/list_changed';
    await admin.stream.waitFor(changed);
    await readonly.stream.waitFor(changed);
    await barrier(admin, [admin, readonly, fsOnly], 'barrier 3');
    expect(fsOnly.stream.messages.some(changed)).toBe(false);
  });
});

describe('upstream requests to the client', () => {
  it('a sampling request sent after its call ended reaches nobody (refused, audited), not the caller in flight then', async () => {
    const alice = await connect('alice', ['admin'], { sampling: {} });
    const bob = await connect('bob', ['admin'], { sampling: {} });
    // bob's call is in flight while alice's deferred request arrives.
    const bobCall = bob.call('other_slow', { steps: 60, delayMs: 50 });
    const r = await alice.call('other_sample_later', { delayMs: 100 });
    expect(r.status).toBe(200);
    let refused;
    while (!(refused = auditRecords(hub).find((x) => x.event === 'relay_refused'))) await new Promise((res) => setTimeout(res, 50));
    expect(refused.metadata).toMatchObject({ server: 'other', method: 'sampling/createMessage' });
    expect(refused.level).toBe('warn');
    const bobAnswer = await bobCall;
    const isSampling = (m: Record<string, unknown>) => m.method === 'sampling/createMessage';
    expect(bobAnswer.text).not.toContain('sampling/createMessage');
    expect(bobAnswer.text).not.toContain('deferred secret prompt');
    expect(bob.stream.messages.some(isSampling)).toBe(false);
    expect(alice.stream.messages.some(isSampling)).toBe(false);
    alice.stream.close();
    bob.stream.close();
  });
});
