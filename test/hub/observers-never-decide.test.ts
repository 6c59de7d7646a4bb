// Metrics and trace hooks never decide: one that throws is logged and the
// request is answered as if it were not there (the upstream already did the
// work; its breaker must not count a failure).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { quietLogger, startHub, stdioFixture, type Running } from './support.js';

useProcessCleanup();

let run: Running;
let client: Client;
const broken = () => {
  throw new Error('metrics broke');
};

beforeAll(async () => {
  run = await startHub({ fx: stdioFixture() }, { hub: { measure: { request: broken, upstream: broken }, trace: broken } });
  client = new Client({ name: 't', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(run.url)));
});

afterAll(async () => {
  await client.close();
  await run.stop();
});

test('a throwing measure or trace hook leaves the answer as it is, and is logged', async () => {
  const r = await client.callTool({ name: 'fx_echo', arguments: { text: 'still here' } });
  expect(r.content).toEqual([{ type: 'text', text: 'still here' }]);
  expect(quietLogger.lines.some((l) => l.startsWith('warn metrics or trace hook failed') && l.includes('metrics broke'))).toBe(true);
});
