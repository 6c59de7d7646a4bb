// The flow history in Redis, shared by two real hub processes: a stateless
// 2026-07-28 principal that reads private data through one replica is held
// to the flow rule on the other; with Redis gone, requests fail closed.
import { modernClient } from './helpers.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { rawRequest } from '../helpers/http-client.js';
import { auditRecords, bearer } from '../audit/helpers.js';
import { stopAndRemove } from '../metrics/helpers.js';
import { startRedis, type RedisServer } from '../ratelimit/helpers.js';

useProcessCleanup();

const SECRET = 'flows-redis-secret-0123456789abcdef012';
let redis: RedisServer | undefined;
const hubs: HubProcess[] = [];
const closers: (() => Promise<void>)[] = [];

async function hub(url: string): Promise<HubProcess> {
  const h = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      flows: {
        store: url,
        labels: { 'fx:read_file': ['private_read'], 'fx:write_file': ['public_write'] },
        rules: [{ id: 'no-leak', after: 'private_read', then: 'public_write', outcome: 'deny' }],
      },
    },
  });
  hubs.push(h);
  return h;
}


const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

afterAll(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
  for (const h of hubs.splice(0)) await stopAndRemove(h);
  await redis?.kill();
});

test('one history across replicas; an unreachable store fails the request closed', async () => {
  redis = await startRedis();
  const a = await hub(redis.url);
  const b = await hub(redis.url);
  expect(text(await (await modernClient(a, SECRET, closers, 'u-1')).callTool({ name: 'fx_read_file', arguments: { path: '/secret' } }))).toBe('read /secret');
  const err = await (await modernClient(b, SECRET, closers, 'u-1')).callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'x' } }).then(() => undefined, (e: unknown) => e);
  expect(JSON.stringify(err)).toContain('ERR_PERMISSION_DENIED');
  const rec = auditRecords(b).find((r) => r.event === 'permission_denied' && r.metadata.method === 'tools/call')!;
  expect(rec.metadata.reasons).toEqual([{ rule: 'flows.no-leak', message: 'a public_write call after a private_read in this session' }]);
  expect(rec.metadata.input.session.labels).toEqual(['private_read']);
  // Another principal on b is not tainted.
  expect(text(await (await modernClient(b, SECRET, closers, 'u-2')).callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'x' } }))).toBe('wrote /pub');

  await redis.kill();
  redis = undefined;
  const r = await rawRequest(a.mcpUrl, {
    body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: 'x' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } },
    headers: { authorization: await bearer(SECRET, 'u-3', ['user']), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'fx_echo' },
  });
  expect(r.status).toBe(503);
  expect(r.json).toMatchObject({ error: { code: -32603, message: 'Flow history store unavailable: request refused (fail closed)', data: { code: 'ERR_FLOW_STORE_UNAVAILABLE' } } });
});
