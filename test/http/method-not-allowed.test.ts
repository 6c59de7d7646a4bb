// Other HTTP methods on /mcp are refused 405 by the transport stage right
// after the network stage: no token is verified and nothing is audited as an
// authentication, whatever the Authorization header says.
import { startHubProcess, fixtureStdio, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords } from '../audit/helpers.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();
let hub: HubProcess;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: { authentication: { enabled: true, secret: 'method-not-allowed-secret-0123456789-abcdef', algorithms: ['HS256'] }, authorization: { enabled: true } },
  });
});

afterAll(async () => {
  await stopAndRemove(hub);
});

it.each(['PUT', 'PATCH'])('%s /mcp: 405 ERR_METHOD_NOT_ALLOWED before authentication, no authentication record', async (method) => {
  const r = await rawRequest(hub.mcpUrl, { method, body: {}, headers: { authorization: 'Bearer not-a-token' } });
  expect({ status: r.status, code: r.json?.error?.data?.code, message: r.json?.error?.message }).toEqual({
    status: 405,
    code: 'ERR_METHOD_NOT_ALLOWED',
    message: 'Method not allowed',
  });
  expect(auditRecords(hub).filter((x) => x.event.startsWith('authentication_'))).toEqual([]);
});
