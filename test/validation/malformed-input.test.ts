// Every validation error path of the HTTP body, against the real hub
// process, with raw fetch: exact HTTP status, JSON-RPC code and data.code.
import type { HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { INITIALIZE, LIMITS, post, startValidationHub } from './support.js';

useProcessCleanup();

let hub: HubProcess;

beforeAll(async () => {
  ({ hub } = await startValidationHub());
});

afterAll(async () => {
  await hub.stop();
});

async function expectRefused(body: string | Uint8Array, status: number, rpc: number, code: string, headers: Record<string, string> = {}) {
  const answer = await post(hub.mcpUrl, body, headers);
  expect({ status: answer.status, rpc: answer.body.error?.code, code: answer.body.error?.data?.code }).toEqual({ status, rpc, code });
  expect(answer.body.jsonrpc).toBe('2.0');
  return answer.body;
}

const message = (m: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id: 7, ...m });

describe('the validation stage refuses malformed bodies before anything reads them', () => {
  it('a valid initialize is answered (baseline)', async () => {
    const answer = await post(hub.mcpUrl, INITIALIZE);
    expect(answer.status).toBe(200);
    expect(answer.body.result).toBeDefined();
  });

  it('wrong content type: 415 ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
    await expectRefused(INITIALIZE, 415, -32600, 'ERR_UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'text/plain' });
  });

  it('body over maxBodyBytes: 413 ERR_BODY_TOO_LARGE', async () => {
    await expectRefused(JSON.stringify({ pad: 'x'.repeat(LIMITS.maxBodyBytes) }), 413, -32600, 'ERR_BODY_TOO_LARGE');
  });

  it('invalid JSON: 400 ERR_PARSE', async () => {
    await expectRefused('{"jsonrpc": "2.0", ', 400, -32700, 'ERR_PARSE');
  });

  it('invalid UTF-8: 400 ERR_PARSE (reason utf8)', async () => {
    const bytes = new Uint8Array([...Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'), 0xc3, 0x28, ...Buffer.from('"}')]);
    const body = await expectRefused(bytes, 400, -32700, 'ERR_PARSE');
    expect(body.error?.data?.reason).toBe('utf8');
  });

  it('nesting deeper than maxDepth: 400 ERR_LIMIT_EXCEEDED (depth)', async () => {
    const deep = '['.repeat(LIMITS.maxDepth + 1) + ']'.repeat(LIMITS.maxDepth + 1);
    const body = await expectRefused(deep, 400, -32600, 'ERR_LIMIT_EXCEEDED');
    expect(body.error?.data).toMatchObject({ limit: 'depth', max: LIMITS.maxDepth });
  });

  it('a string over maxStringLength: 400 ERR_LIMIT_EXCEEDED (stringLength)', async () => {
    const body = await expectRefused(message({ method: 'ping', params: { s: 'y'.repeat(LIMITS.maxStringLength + 1) } }), 400, -32600, 'ERR_LIMIT_EXCEEDED');
    expect(body.error?.data).toMatchObject({ limit: 'stringLength', max: LIMITS.maxStringLength });
  });

  it('an array over maxArrayItems: 400 ERR_LIMIT_EXCEEDED (arrayItems)', async () => {
    const body = await expectRefused(message({ method: 'ping', params: { a: new Array(LIMITS.maxArrayItems + 1).fill(0) } }), 400, -32600, 'ERR_LIMIT_EXCEEDED');
    expect(body.error?.data).toMatchObject({ limit: 'arrayItems' });
  });

  it('an object over maxObjectKeys: 400 ERR_LIMIT_EXCEEDED (objectKeys)', async () => {
    const params = Object.fromEntries(Array.from({ length: LIMITS.maxObjectKeys + 1 }, (_, i) => [`k${i}`, i]));
    const body = await expectRefused(message({ method: 'ping', params }), 400, -32600, 'ERR_LIMIT_EXCEEDED');
    expect(body.error?.data).toMatchObject({ limit: 'objectKeys' });
  });

  it('a batch or a non-object: 400 ERR_INVALID_REQUEST', async () => {
    await expectRefused(`[${INITIALIZE}]`, 400, -32600, 'ERR_INVALID_REQUEST');
    await expectRefused('"hello"', 400, -32600, 'ERR_INVALID_REQUEST');
    await expectRefused('null', 400, -32600, 'ERR_INVALID_REQUEST');
  });

  it('a broken envelope: 400 ERR_INVALID_REQUEST with the schema errors', async () => {
    const body = await expectRefused(JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' }), 400, -32600, 'ERR_INVALID_REQUEST');
    expect(body.error?.data?.errors).toEqual([expect.objectContaining({ path: '/jsonrpc', keyword: 'const' })]);
    await expectRefused(JSON.stringify({ jsonrpc: '2.0', id: null, method: 'ping' }), 400, -32600, 'ERR_INVALID_REQUEST');
    await expectRefused(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 5 }), 400, -32600, 'ERR_INVALID_REQUEST');
    await expectRefused(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: [1] }), 400, -32600, 'ERR_INVALID_REQUEST');
    await expectRefused(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', extra: true }), 400, -32600, 'ERR_INVALID_REQUEST');
    await expectRefused(JSON.stringify({ jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'both' } }), 400, -32600, 'ERR_INVALID_REQUEST');
  });

  it('a message the SDK era classifier rejects still carries a stable code (fuzzer counterexample)', async () => {
    await expectRefused('{"jsonrpc":"2.0","id":5e-324,"method":"ping"}', 400, -32600, 'ERR_INVALID_REQUEST');
  });

  it.each([
    ['initialize', { protocolVersion: 5, capabilities: {}, clientInfo: { name: 'x', version: '1' } }, '/params/protocolVersion'],
    ['tools/call', { name: 42 }, '/params/name'],
    ['tools/call', { name: 'filesystem_echo', arguments: 'text' }, '/params/arguments'],
    ['prompts/get', { name: 'p', arguments: { a: 1 } }, '/params/arguments/a'],
    ['resources/read', {}, '/params'],
    ['completion/complete', { ref: { type: 'ref/other' }, argument: { name: 'a', value: 'b' } }, '/params/ref/type'],
    ['logging/setLevel', { level: 'loud' }, '/params/level'],
    ['tools/list', { cursor: 3 }, '/params/cursor'],
  ])('%s with wrong params: 400 ERR_MALFORMED_PARAMS (-32602)', async (method, params, where) => {
    const body = await expectRefused(message({ method, params }), 400, -32602, 'ERR_MALFORMED_PARAMS');
    expect(body.error?.data?.method).toBe(method);
    expect((body.error?.data?.errors as { path: string }[]).map((e) => e.path)).toContain(where);
  });

  it('a notification with wrong params: 400 ERR_MALFORMED_PARAMS', async () => {
    await expectRefused(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 'half' } }), 400, -32602, 'ERR_MALFORMED_PARAMS');
  });

  it('still answers a valid request afterwards', async () => {
    expect((await post(hub.mcpUrl, INITIALIZE)).status).toBe(200);
  });
});
