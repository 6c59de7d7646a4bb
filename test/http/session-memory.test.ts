// Memory that comes back after sessions close (issue 15): every session leaves the registry when it is DELETEd
// (read from /metrics of the real hub process). Heap snapshots before and after 1,000 sessions showed no
// retained session object; the RSS that stays is V8's young generation grown by the burst (docs/sessions.md),
// which bench/startup.mjs prints with and without a bounded semi-space.
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { scrape, stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();

const SECRET = 'session-memory-secret-0123456789-0123456789';
const SESSIONS = 300;
let hub: HubProcess;
let admin: string;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, authorization: { enabled: true } },
  });
  admin = `Bearer ${await hs256Token(SECRET, { sub: 'ops', roles: ['admin'] })}`;
});
afterAll(() => stopAndRemove(hub));

async function openCallClose(i: number): Promise<void> {
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: admin } });
  expect(init.status).toBe(200);
  const headers = { authorization: admin, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  const call = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: `s${i}` } } }, headers });
  expect(call.text).toContain(`s${i}`);
  expect((await rawRequest(hub.mcpUrl, { method: 'DELETE', headers })).status).toBe(200);
}

it(`after ${SESSIONS} sessions opened, used and closed, none is still registered`, async () => {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < SESSIONS) await openCallClose(next++);
  }));
  const text = await scrape(hub, admin);
  expect(text).toMatch(/^hatago_sessions_open\{transport="http"\} 0$/m);
});
