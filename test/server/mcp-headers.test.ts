// 2026-07-28 standard headers (SEP-2243): Mcp-Method and Mcp-Name mirror the
// body so that proxies can route and authorize without reading it. A request
// whose headers name something else than its body is refused with HTTP 400
// and JSON-RPC -32020 (HeaderMismatch) before any policy or upstream sees it.
import { rmSync } from 'node:fs';
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

let hub: HubProcess;

beforeAll(async () => {
  hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, security: { authorization: { enabled: true, defaultRole: 'admin' } } });
});
afterAll(async () => {
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
});

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

function modern(method: string, params: Record<string, unknown>, headers: Record<string, string>) {
  return rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: META } },
    headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...headers },
  });
}

const MISMATCH = { status: 400, body: { jsonrpc: '2.0', id: 7, error: { code: -32020, message: 'Bad Request: the request headers and body disagree', data: { code: 'ERR_HEADER_MISMATCH', header: 'Mcp-Name' } } } };

describe('Mcp-Name', () => {
  it('naming another tool than the body is 400 -32020 ERR_HEADER_MISMATCH, and the call never runs', async () => {
    const before = auditRecords(hub).length;
    const res = await modern('tools/call', { name: 'fx_echo', arguments: { text: 'x' } }, { 'mcp-name': 'fx_add' });
    expect({ status: res.status, body: res.json }).toEqual(MISMATCH);
    // Refused before the policy stage: no permission record, so no call.
    expect(auditRecords(hub).slice(before).filter((r) => r.event.startsWith('permission_'))).toEqual([]);
  });

  it('is checked for prompts/get (params.name) and resources/read (params.uri) too', async () => {
    const prompt = await modern('prompts/get', { name: 'fx_greet', arguments: { name: 'x' } }, { 'mcp-name': 'fx_other' });
    expect({ status: prompt.status, body: prompt.json }).toEqual(MISMATCH);
    const read = await modern('resources/read', { uri: 'fixture://items/1' }, { 'mcp-name': 'fixture://items/2' });
    expect({ status: read.status, body: read.json }).toEqual(MISMATCH);
  });

  it('a base64-encoded Mcp-Name is decoded before the comparison', async () => {
    const wrong = await modern('tools/call', { name: 'fx_echo', arguments: { text: 'x' } }, { 'mcp-name': `=?base64?${Buffer.from('fx_add').toString('base64')}?=` });
    expect({ status: wrong.status, body: wrong.json }).toEqual(MISMATCH);
    const right = await modern('tools/call', { name: 'fx_echo', arguments: { text: 'b64' } }, { 'mcp-name': `=?base64?${Buffer.from('fx_echo').toString('base64')}?=` });
    expect(right.status).toBe(200);
    expect(right.json.result.content).toEqual([{ type: 'text', text: 'b64' }]);
  });

  it('a matching header, or none, is served as before', async () => {
    const named = await modern('tools/call', { name: 'fx_echo', arguments: { text: 'same' } }, { 'mcp-name': 'fx_echo' });
    expect({ status: named.status, content: named.json.result.content }).toEqual({ status: 200, content: [{ type: 'text', text: 'same' }] });
    const bare = await modern('tools/call', { name: 'fx_echo', arguments: { text: 'bare' } }, {});
    expect({ status: bare.status, content: bare.json.result.content }).toEqual({ status: 200, content: [{ type: 'text', text: 'bare' }] });
  });
});

describe('Mcp-Method', () => {
  it('naming another method than the body is 400 -32020 with the stable code ERR_HEADER_MISMATCH', async () => {
    const res = await modern('tools/call', { name: 'fx_echo', arguments: { text: 'x' } }, { 'mcp-method': 'tools/list' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: -32020, data: { code: 'ERR_HEADER_MISMATCH' } });
    expect(res.json.error.message).toMatch(/^Bad Request: the request headers and body disagree/);
  });
});
