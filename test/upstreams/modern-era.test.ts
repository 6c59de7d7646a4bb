// A 2026-07-28 (stateless) upstream behind the hub, driven by 2025-11-25
// clients: what a session used to carry (server->client requests, log
// messages, resource subscriptions, ping) has to work another way
// (src/upstreams/modern-era.ts). The upstream is the conformance fixture,
// whose revision the hub negotiates (2026-07-28).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { ERROR_CODES } from '../../src/errors/index.js';
import { createUpstream } from '../../src/upstreams/index.js';
import { UpstreamRpcError } from '../../src/upstreams/errors.js';
import { CONFORMANCE_FIXTURE } from '../helpers/conformance.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { remoteConfig, startRemoteFixture } from './support.js';

useProcessCleanup();

let upstreamUrl = '';
let hub: HubProcess;
const clients: Client[] = [];

beforeAll(async () => {
  const fx = spawnProcess(process.execPath, [CONFORMANCE_FIXTURE]);
  upstreamUrl = `http://127.0.0.1:${(await fx.waitForLine(/FIXTURE_LISTENING port=(\d+)/))[1]}/mcp`;
  hub = await startHubProcess({
    security: { authorization: { defaultRole: 'admin' } },
    mcpServers: { conf: { type: 'http', url: upstreamUrl, prefix: '' } },
  });
  await hub.proc.waitForLine(/"message":"Upstream ready","protocolVersion":"2026-07-28"/);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
});

async function connect(capabilities: Record<string, object> = {}, setup: (c: Client) => void = () => undefined): Promise<Client> {
  const client = new Client({ name: 'modern-era-test', version: '1.0.0' }, { capabilities });
  setup(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  clients.push(client);
  return client;
}

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

describe('input_required rounds', () => {
  test('sampling and elicitation are asked of the calling client, and the call completes with its answers', async () => {
    const asked: string[] = [];
    const client = await connect({ sampling: {}, elicitation: {} }, (c) => {
      c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        asked.push(`sampling: ${(req.params.messages[0]!.content as { text: string }).text}`);
        return { role: 'assistant', model: 'm', content: { type: 'text', text: 'sampled answer' } };
      });
      c.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked.push(`elicitation: ${req.params.message}`);
        return { action: 'accept', content: { username: 'ann', email: 'ann@example.com' } };
      });
    });
    expect(textOf(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hello?' } }))).toBe('LLM response: sampled answer');
    expect(textOf(await client.callTool({ name: 'test_elicitation', arguments: { message: 'who are you?' } }))).toBe(
      'User response: action=accept, content={"username":"ann","email":"ann@example.com"}',
    );
    expect(asked).toEqual(['sampling: hello?', 'elicitation: who are you?']);
  });

  test('a client that did not declare sampling is not asked: the call fails with ERR_CLIENT_CAPABILITY', async () => {
    const client = await connect({ elicitation: {} });
    const err = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ERROR_CODES.ERR_CLIENT_CAPABILITY.rpc);
    expect((err as McpError).message).toBe(
      `MCP error ${ERROR_CODES.ERR_CLIENT_CAPABILITY.rpc}: hatago refused sampling/createMessage from upstream "conf": the calling client did not declare the "sampling" capability`,
    );
  });
});

describe('log messages', () => {
  test('a call\'s log messages reach its own client, attributed to the server, and no other client', async () => {
    const logs = { a: [] as unknown[], b: [] as unknown[] };
    let third: () => void = () => undefined;
    const gotThird = new Promise<void>((resolve) => (third = resolve));
    const a = await connect({}, (c) =>
      c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        if (logs.a.push(n.params) === 3) third();
      }));
    const b = await connect({}, (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.b.push(n.params)));
    await a.setLoggingLevel('debug');
    await b.setLoggingLevel('debug');
    await a.callTool({ name: 'test_tool_with_logging', arguments: {} });
    // They ride a's session stream, which may trail the call's answer.
    await gotThird;
    // A round trip of b's own after all of a's arrived: anything sent to b as well would have arrived by now.
    await b.callTool({ name: 'test_simple_text', arguments: {} });
    expect(logs.a).toEqual(['Tool execution started', 'Tool processing data', 'Tool execution completed'].map((data) => ({ level: 'info', logger: 'conf', data })));
    expect(logs.b).toEqual([]);
  });

  test('the client\'s level filters them', async () => {
    const seen: unknown[] = [];
    let third: () => void = () => undefined;
    const gotThird = new Promise<void>((resolve) => (third = resolve));
    const client = await connect({}, (c) =>
      c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        if (seen.push(n.params) === 3) third();
      }));
    await client.setLoggingLevel('warning');
    expect(textOf(await client.callTool({ name: 'test_tool_with_logging', arguments: {} }))).toBe('Logging tool finished');
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await gotThird;
    await client.callTool({ name: 'test_simple_text', arguments: {} });
    // Only the second call's: the info messages of the first were below the client's level.
    expect(seen).toHaveLength(3);
  });
});

describe('resource subscriptions', () => {
  test('subscriptions ride one listen stream for all URIs: updates reach the subscriber, unsubscribing the last closes it', async () => {
    const updates: string[] = [];
    let onUpdate: () => void = () => undefined;
    const client = await connect({}, (c) =>
      c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        updates.push(n.params.uri);
        onUpdate();
      }));
    const streams = async () => Number(textOf(await client.callTool({ name: 'open_listen_streams', arguments: {} })));
    // A closed stream leaves the upstream's books when it has seen the close: asked again until then.
    const streamsBecome = async (n: number) => {
      while ((await streams()) !== n);
    };
    const touched = async () => {
      const arrived = new Promise<void>((resolve) => (onUpdate = resolve));
      await client.callTool({ name: 'touch_watched_resource', arguments: {} });
      await arrived;
    };
    expect(await client.subscribeResource({ uri: 'test://watched-resource' })).toEqual({});
    expect(await client.subscribeResource({ uri: 'test://static-text' })).toEqual({});
    await streamsBecome(1);
    await touched();
    // One URI left: the stream is opened anew for it, and still delivers.
    expect(await client.unsubscribeResource({ uri: 'test://static-text' })).toEqual({});
    await streamsBecome(1);
    await touched();
    expect(updates).toEqual(['test://watched-resource', 'test://watched-resource']);
    expect(await client.unsubscribeResource({ uri: 'test://watched-resource' })).toEqual({});
    await streamsBecome(0);
  });
});

describe('the upstream object', () => {
  test('a method the revision lacks (ping) is answered -32601 and the upstream stays ready', async () => {
    const u = createUpstream('conf', { type: 'http', url: upstreamUrl }, { defaultTimeoutMs: 15_000 });
    try {
      await u.start();
      expect(u.status()).toMatchObject({ state: 'ready', protocolVersion: '2026-07-28' });
      const err = await u.request('ping', undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UpstreamRpcError);
      expect(err).toMatchObject({ code: -32601, server: 'conf', message: "Method 'ping' is not supported by the negotiated protocol version (wire era 2026-07-28)" });
      expect(u.status().state).toBe('ready');
      expect(await u.request('tools/call', { name: 'test_simple_text', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'This is a simple text response for testing.' }] });
    } finally {
      await u.stop();
    }
  });

  test('a subscription the upstream does not honor is refused -32602, naming the URI; a uri that is no string too', async () => {
    // modern.mjs declares no resource subscriptions: its listen acknowledgement honors none.
    const { port } = await startRemoteFixture('modern');
    const u = createUpstream('modern', remoteConfig('modern', port), { defaultTimeoutMs: 15_000 });
    try {
      await u.start();
      const refused = await u.request('resources/subscribe', { uri: 'modern://readme' }).then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(UpstreamRpcError);
      expect(refused).toMatchObject({ code: -32602, server: 'modern', message: 'Upstream "modern" does not honor a subscription to modern://readme' });
      const invalid = await u.request('resources/subscribe', { uri: 42 }).then(() => undefined, (e: unknown) => e);
      expect(invalid).toMatchObject({ code: -32602, server: 'modern', message: 'params.uri must be a string' });
      expect(u.status().state).toBe('ready');
    } finally {
      await u.stop();
    }
  });

  test('a broken exchange is checked with server/discover (there is no ping): the upstream that answers it stays ready', async () => {
    const u = createUpstream('conf', { type: 'http', url: upstreamUrl }, { defaultTimeoutMs: 15_000 });
    const states: string[] = [];
    u.on('state', (s: { state: string }) => states.push(s.state));
    try {
      await u.start();
      const broken = await u.request('tools/call', { name: 'break_exchange', arguments: {} }).then(() => undefined, (e: unknown) => e);
      expect(broken).toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', message: 'Upstream server "conf" is unavailable' });
      // The liveness check runs meanwhile; a ping refused by the SDK would have taken the upstream down at once.
      expect(await u.request('tools/call', { name: 'test_simple_text', arguments: {} })).toMatchObject({ content: [{ text: 'This is a simple text response for testing.' }] });
      expect(u.status().state).toBe('ready');
      expect(states).toEqual(['ready']);
    } finally {
      await u.stop();
    }
  });
});
