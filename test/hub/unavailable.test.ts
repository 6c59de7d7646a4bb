// Upstreams that die or never start: the others keep working, calls to the
// dead one fail at once naming it, /health shows each state.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { useProcessCleanup, type TestProcess } from '../helpers/processes.js';
import { startHttpFixture, startHub, stdioFixture, type Running } from './support.js';

useProcessCleanup();

let run: Running;
let web: TestProcess;
let client: Client;

beforeAll(async () => {
  const fx = await startHttpFixture();
  web = fx.proc;
  run = await startHub({
    web: { url: fx.url },
    local: stdioFixture(),
    broken: stdioFixture({}, { FIXTURE_FAIL_START: '1' }),
  });
  client = new Client({ name: 't', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(run.url)));
});

afterAll(async () => {
  await client.close();
  await run.stop();
});

function stateOf(id: string) {
  return run.hub.status().find((s) => s.id === id)?.state;
}

test('an upstream that never started lists nothing and shows in /health/details', async () => {
  const { tools } = await client.listTools();
  expect(tools.some((t) => t.name.startsWith('broken_'))).toBe(false);
  const health = (await (await fetch(run.url.replace("/mcp", "/health/details"))).json()) as { status: string; upstreams: { id: string; state: string }[] };
  expect(health.status).toBe('degraded');
  expect(health.upstreams.find((u) => u.id === 'broken')?.state).toBe('failed');
});

test('a dead upstream keeps its tools listed; calls fail at once naming it; the others work', async () => {
  await web.kill();
  // Wait for the upstream layer to notice (a state event), then call.
  await new Promise<void>((resolve) => {
    const check = () => (stateOf('web') === 'ready' ? setTimeout(check, 20) : resolve());
    check();
  });
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toContain('web_echo');
  let err: unknown;
  try {
    await client.callTool({ name: 'web_echo', arguments: { text: 'x' } });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(McpError);
  expect((err as McpError).code).toBe(-32010);
  expect((err as McpError).data).toEqual({ code: 'ERR_UPSTREAM_UNAVAILABLE', server: 'web' });
  expect((err as McpError).message).toContain('"web"');
  const r = await client.callTool({ name: 'local_echo', arguments: { text: 'still here' } });
  expect(r.content).toEqual([{ type: 'text', text: 'still here' }]);
});
