// Generated malformed input against the real hub process: whatever arrives,
// the answer is a 4xx with a JSON-RPC error body, never a 5xx, never a
// crash, and a valid request is still answered afterwards. Runs are
// bounded so the suite stays well under a minute.
import fc from 'fast-check';
import type { HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { INITIALIZE, LIMITS, isJsonRpcError, post, startValidationHub, type RawAnswer } from './support.js';

useProcessCleanup();

let hub: HubProcess;
const RUNS = 150;

beforeAll(async () => {
  ({ hub } = await startValidationHub());
});

afterAll(async () => {
  await hub.stop();
});

afterEach(async () => {
  expect((await post(hub.mcpUrl, INITIALIZE)).status).toBe(200);
});

function expectClientError(answer: RawAnswer): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(isJsonRpcError(answer.body)).toBe(true);
}

const property = (arb: fc.Arbitrary<string | Uint8Array>, headers: Record<string, string> = {}) =>
  fc.assert(fc.asyncProperty(arb, async (body) => expectClientError(await post(hub.mcpUrl, body, headers))), { numRuns: RUNS });

// Methods the hub serves, except initialize (a lucky valid one would open a session: 200).
const METHODS = ['ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/templates/list', 'resources/read',
  'resources/subscribe', 'resources/unsubscribe', 'completion/complete', 'logging/setLevel', 'server/discover', 'notifications/cancelled', 'notifications/initialized'];

describe('fuzzing /mcp with malformed input', () => {
  it('random JSON values', async () => {
    await property(fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)));
  });

  it('random envelopes: jsonrpc, id, method and params of random types', async () => {
    const anything = fc.jsonValue({ maxDepth: 3 });
    const envelope = fc.record(
      { jsonrpc: fc.oneof(fc.constant('2.0'), anything), id: fc.oneof(fc.integer(), fc.string(), anything), method: fc.oneof(fc.constantFrom(...METHODS), anything), params: anything },
      { requiredKeys: [] },
    );
    await property(envelope.map((v) => JSON.stringify(v)));
  });

  it('random bytes', async () => {
    await property(fc.uint8Array({ maxLength: 2048 }));
  });

  it('random text that is almost JSON', async () => {
    await property(fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '\\', 'a', '1', ' ', 'null', '\u0000', '\uFFFF') }));
  });

  it('deep nesting beyond the limit, of arrays and objects', async () => {
    // Up to 10000 levels: nested objects stay under maxBodyBytes.
    const deep = fc.tuple(fc.integer({ min: LIMITS.maxDepth + 1, max: 10000 }), fc.boolean()).map(([n, arrays]) =>
      arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n));
    await fc.assert(fc.asyncProperty(deep, async (body) => {
      const answer = await post(hub.mcpUrl, body);
      expectClientError(answer);
      expect(answer.body.error?.data?.code).toBe('ERR_LIMIT_EXCEEDED');
    }), { numRuns: 40 });
  });

  it('huge strings, under and over the body limit', async () => {
    const huge = fc.tuple(fc.integer({ min: LIMITS.maxStringLength + 1, max: LIMITS.maxBodyBytes * 2 }), fc.constantFrom('x', 'é', '\\"')).map(([n, c]) =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'filesystem_echo', arguments: { text: '' } } }).replace('"text":""', `"text":"${c.repeat(n)}"`));
    await fc.assert(fc.asyncProperty(huge, async (body) => {
      const answer = await post(hub.mcpUrl, body);
      expectClientError(answer);
      expect(['ERR_LIMIT_EXCEEDED', 'ERR_BODY_TOO_LARGE']).toContain(answer.body.error?.data?.code);
    }), { numRuns: 30 });
  });

  it('wrong content types', async () => {
    const type = fc.oneof(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data', 'application/jsonx', 'json', ''), fc.string({ maxLength: 40 }))
      .filter((t) => !/^application\/json\s*(;|$)/i.test(t));
    await fc.assert(fc.asyncProperty(type, async (contentType) => {
      const answer = await post(hub.mcpUrl, INITIALIZE, { 'content-type': contentType });
      expectClientError(answer);
      expect(answer.body.error?.data?.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    }), { numRuns: 60 });
  });

  it('the hub process is still alive and healthy', async () => {
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
    expect(hub.proc.output()).not.toMatch(/unexpected error/);
  });
});
