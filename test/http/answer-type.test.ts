// Whether a POST /mcp is answered as JSON or as an SSE stream follows the
// client's Accept header (highest q, then the type listed first), besides the
// cases that must stream (progress, upstream requests to the client).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { preferredAnswerType } from '../../src/http/accept.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

describe('preferredAnswerType', () => {
  test.each([
    ['application/json, text/event-stream', 'json'],
    ['text/event-stream, application/json', 'sse'],
    ['text/event-stream', 'sse'],
    ['application/json', 'json'],
    ['application/json;q=0.5, text/event-stream', 'sse'],
    ['text/event-stream;q=0.2, application/json;q=0.9', 'json'],
    ['text/event-stream;q=0, application/json', 'json'],
    ['*/*', undefined],
  ])('%s -> %s', (accept, expected) => {
    expect(preferredAnswerType(accept)).toBe(expected);
  });
  test('no Accept header: no preference', () => {
    expect(preferredAnswerType(null)).toBeUndefined();
  });
});

describe('the hub answers tools/list', () => {
  let hub: HubProcess;
  let headers: Record<string, string>;
  beforeAll(async () => {
    hub = await startHubProcess({ security: { authorization: { defaultRole: 'admin' } }, mcpServers: { fx: fixtureStdio() } });
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
    headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  });
  const list = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };

  test('as JSON to a client that lists application/json first', async () => {
    const r = await rawRequest(hub.mcpUrl, { body: list, headers: { ...headers, accept: 'application/json, text/event-stream' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json.id).toBe(7);
    expect(r.json.result.tools.length).toBeGreaterThan(0);
  });

  test('as one SSE event to a client that lists text/event-stream first', async () => {
    const r = await rawRequest(hub.mcpUrl, { body: list, headers: { ...headers, accept: 'text/event-stream, application/json' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(events).toHaveLength(1);
    expect(events[0].id).toBe(7);
    expect(events[0].result.tools.length).toBeGreaterThan(0);
  });
});
