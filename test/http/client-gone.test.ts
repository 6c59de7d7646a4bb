// A client whose HTTP connection closes while its call runs: the call is
// cancelled upstream (notifications/cancelled reaches the server, which stops),
// and the session goes on serving.
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHubProcess, fixtureStdio, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();
const dir = mkdtempSync(path.join(tmpdir(), 'hatago-gone-'));
const events = path.join(dir, 'events.jsonl');
let hub: HubProcess;

beforeAll(async () => {
  hub = await startHubProcess({ mcpServers: { fx: fixtureStdio({ FIXTURE_EVENTS_FILE: events }) }, security: { authorization: { enabled: false } } });
});

afterAll(async () => {
  await stopAndRemove(hub);
  rmSync(dir, { recursive: true, force: true });
});

const seen = (what: string) => (existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter((l) => l.includes(what)).length : 0);

test('closing the connection mid-call cancels it upstream; the session serves the next call', async () => {
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
  const headers = { 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
  const req = http.request(hub.mcpUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
  req.on('error', () => undefined);
  req.end(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'fx_hang', arguments: {} } }));
  await until('the upstream is in the call', () => (seen('"event":"called","tool":"hang"') === 1 ? true : undefined));
  req.destroy();
  await until('the upstream saw the call cancelled', () => (seen('"event":"cancelled","tool":"hang"') === 1 ? true : undefined));
  const next = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: 'still here' } } }, headers });
  expect({ status: next.status, text: next.json?.result?.content?.[0]?.text }).toEqual({ status: 200, text: 'still here' });
});
