// A replica whose session index is gone (cluster.enabled, Redis killed):
// a request on a 2025-11-25 session cannot be checked, so it is refused,
// 503 ERR_SESSION_STORE_UNAVAILABLE (nginx retries such a 503 on the next
// replica), and so is a new session; nothing is served unchecked, nothing
// crashes, and once Redis is back the session index answers again.
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { stopAndRemove } from '../metrics/helpers.js';
import { startRedis, type RedisServer } from '../ratelimit/helpers.js';

useProcessCleanup();

let redis: RedisServer | undefined;
let hub: HubProcess;

afterAll(async () => {
  if (hub) await stopAndRemove(hub);
  await redis?.kill();
});

const MESSAGE = 'Session index unavailable: the session cannot be checked, request refused (fail closed)';

test('no session index: session requests and new sessions are refused 503, and served again once it is back', async () => {
  redis = await startRedis();
  const port = redis.port;
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    cluster: { enabled: true, redis: redis.url, replicaId: 'outage' },
    security: { rateLimit: { failOpen: true } },
  });
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
  expect(init.status).toBe(200);
  const sid = String(init.headers['mcp-session-id']);
  const ping = () => rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 2, method: 'ping' }, headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
  expect((await ping()).status).toBe(200);

  await redis.kill();
  redis = undefined;
  const refused = await ping();
  expect(refused.status).toBe(503);
  expect(refused.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32603, message: MESSAGE, data: { code: 'ERR_SESSION_STORE_UNAVAILABLE' } } });
  const del = await rawRequest(hub.mcpUrl, { method: 'DELETE', headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
  expect(del.status).toBe(503);
  expect(del.json).toMatchObject({ error: { message: MESSAGE, data: { code: 'ERR_SESSION_STORE_UNAVAILABLE' } } });
  const fresh = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
  expect(fresh.status).toBe(503);
  expect(fresh.json).toMatchObject({ error: { message: MESSAGE, data: { code: 'ERR_SESSION_STORE_UNAVAILABLE' } } });
  // The message names no Redis address or password.
  expect(JSON.stringify([refused.json, fresh.json])).not.toMatch(/127\.0\.0\.1|redis:/);

  // Redis back on the same port, empty (no persistence): the session is gone, a new one opens.
  redis = await startRedis(port);
  await until('the empty index answers', async () => (await ping()).status === 404 || undefined, 20000);
  expect((await ping()).json).toMatchObject({ error: { data: { code: 'ERR_SESSION_NOT_FOUND' } } });
  expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE })).status).toBe(200);
}, 60000);
