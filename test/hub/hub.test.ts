// The hub in front of three real upstreams (fixture over Streamable HTTP,
// fixture over stdio with a custom prefix and a tool filter, and the
// published server-everything over stdio), driven by the real 1.x client.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { useProcessCleanup, type TestProcess } from '../helpers/processes.js';
import { EVERYTHING, PermissiveGuard, startHttpFixture, startHub, stdioFixture, type Running } from './support.js';

useProcessCleanup();

let run: Running;
let web: TestProcess;
const guard = new PermissiveGuard();
const clients: Client[] = [];

async function connect(opts: { sampling?: boolean } = {}): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' }, { capabilities: opts.sampling ? { sampling: {}, elicitation: {}, roots: {} } : {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(run.url)));
  clients.push(client);
  return client;
}

const textOf = (r: unknown) => ((r as { content: { text: string }[] }).content[0]!.text);

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

beforeAll(async () => {
  const fx = await startHttpFixture();
  web = fx.proc;
  run = await startHub(
    {
      web: { url: fx.url },
      local: stdioFixture({ prefix: 'loc', tools: { include: ['*'], exclude: ['crash', 'h?ng'] } }),
      every: { command: process.execPath, args: [EVERYTHING, 'stdio'], prefix: 'ev' },
    },
    { guard },
  );
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await run.stop();
});

describe('listing and namespacing', () => {
  test('default prefix, custom prefix, filters, published server', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['web_echo', 'web_crash', 'web_hang', 'loc_echo', 'loc_add', 'ev_echo', 'ev_get-sum']));
    expect(names).not.toContain('loc_crash');
    expect(names).not.toContain('loc_hang');
    expect(names.filter((n) => !/^(web|loc|ev)_/.test(n))).toEqual([]);
    const echo = tools.find((t) => t.name === 'web_echo')!;
    expect(echo.description).toBe('Returns its text');
    expect(echo.inputSchema.properties).toHaveProperty('text');
  });

  test('the guard sees every candidate and the routed request', async () => {
    const client = await connect();
    await client.callTool({ name: 'loc_add', arguments: { a: 1, b: 2 } });
    const call = guard.seen.find((r) => r.method === 'tools/call' && r.exposed === 'loc_add');
    expect(call).toEqual({ method: 'tools/call', server: 'local', name: 'add', exposed: 'loc_add', arguments: { a: 1, b: 2 }, params: { name: 'loc_add', arguments: { a: 1, b: 2 } } });
    const list = guard.seen.find((r) => r.method === 'tools/list');
    expect(list?.candidates).toEqual(expect.arrayContaining([{ server: 'web', kind: 'tool', name: 'echo', exposed: 'web_echo' }]));
  });
});

describe('calls', () => {
  test('tools/call reaches the right upstream under its local name', async () => {
    const client = await connect();
    expect(textOf(await client.callTool({ name: 'web_echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(textOf(await client.callTool({ name: 'loc_add', arguments: { a: 2, b: 3 } }))).toBe('5');
    expect(textOf(await client.callTool({ name: 'ev_echo', arguments: { message: 'yo' } }))).toContain('yo');
  });

  test('an unknown tool is ERR_UNKNOWN_TOOL', async () => {
    const client = await connect();
    const err = await rpcError(client.callTool({ name: 'web_nope', arguments: {} }));
    expect(err.code).toBe(-32602);
    expect(err.data).toEqual({ code: 'ERR_UNKNOWN_TOOL', name: 'web_nope' });
  });

  test('a tool error result passes through as a result', async () => {
    const client = await connect();
    const r = await client.callTool({ name: 'web_fail', arguments: { mode: 'isError' } });
    expect(r.isError).toBe(true);
  });
});

describe('prompts, resources, completion', () => {
  test('prompts/list and prompts/get', async () => {
    const client = await connect();
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['web_greet', 'loc_summarize']));
    const r = await client.getPrompt({ name: 'web_greet', arguments: { name: 'Ann' } });
    expect(r.messages[0]!.content).toEqual({ type: 'text', text: 'Hello, Ann!' });
    expect((await rpcError(client.getPrompt({ name: 'nope' }))).data).toMatchObject({ code: 'ERR_UNKNOWN_PROMPT' });
  });

  test('resources keep their URIs; templates route reads', async () => {
    const client = await connect();
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['fixture://static/readme']));
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(expect.arrayContaining(['fixture://items/{id}']));
    const read = await client.readResource({ uri: 'fixture://static/readme' });
    expect(read.contents[0]).toMatchObject({ text: 'fixture readme' });
    const item = await client.readResource({ uri: 'fixture://items/5' });
    expect(item.contents[0]).toMatchObject({ text: '{"id":"5"}' });
    expect((await rpcError(client.readResource({ uri: 'nowhere://x' }))).data).toMatchObject({ code: 'ERR_UNKNOWN_RESOURCE' });
    // The upstream's own error is relayed as the upstream wrote it.
    const upstreamErr = await rpcError(client.readResource({ uri: 'fixture://items/missing' }));
    expect(upstreamErr.message).toContain('fixture://items/missing');
  });

  test('completion/complete for a prompt argument and a template variable', async () => {
    const client = await connect();
    const p = await client.complete({ ref: { type: 'ref/prompt', name: 'web_greet' }, argument: { name: 'name', value: 'A' } });
    expect(p.completion.values).toEqual(['Alice']);
    const r = await client.complete({ ref: { type: 'ref/resource', uri: 'fixture://items/{id}' }, argument: { name: 'id', value: '' } });
    expect(r.completion.values).toEqual(['1', '2', '3']);
  });
});

describe('streams and relays', () => {
  test('progress notifications reach the caller', async () => {
    const client = await connect();
    const seen: number[] = [];
    const r = await client.callTool({ name: 'web_slow', arguments: { steps: 3, delayMs: 5 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    expect(textOf(r)).toBe('done 3');
    expect(seen).toEqual([1, 2, 3]);
  });

  test('cancellation reaches the upstream', async () => {
    const client = await connect();
    const ac = new AbortController();
    const call = client.callTool({ name: 'web_hang', arguments: {} }, undefined, { signal: ac.signal });
    await web.waitForLine(/FIXTURE_EVENT \{"event":"called","tool":"hang"\}/);
    ac.abort();
    await expect(call).rejects.toThrow();
    await web.waitForLine(/FIXTURE_EVENT \{"event":"cancelled","tool":"hang"\}/);
  });

  test('sampling, elicitation and roots requests go to the client that made the call', async () => {
    const client = new Client({ name: 'asker', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {}, roots: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant',
      model: 'test',
      content: { type: 'text', text: `sampled: ${(req.params.messages[0]!.content as { text: string }).text}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ann' } }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp', name: 'tmp' }] }));
    await client.connect(new StreamableHTTPClientTransport(new URL(run.url)));
    clients.push(client);
    expect(textOf(await client.callTool({ name: 'web_sample', arguments: { prompt: 'ping' } }))).toBe('sampled: ping');
    expect(JSON.parse(textOf(await client.callTool({ name: 'loc_elicit', arguments: {} })))).toEqual({ action: 'accept', content: { name: 'Ann' } });
    expect(JSON.parse(textOf(await client.callTool({ name: 'web_roots', arguments: {} })))).toEqual([{ uri: 'file:///tmp', name: 'tmp' }]);
  });

  test('a client without the sampling capability is not asked', async () => {
    const client = await connect();
    const r = await client.callTool({ name: 'web_sample', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('sampling');
  });
});

describe('notifications', () => {
  test('list_changed propagates and the new tool is listed and callable', async () => {
    const client = await connect();
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await client.callTool({ name: 'web_add_tool', arguments: { name: 'fresh' } });
    await changed;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('web_fresh');
    expect(textOf(await client.callTool({ name: 'web_fresh', arguments: {} }))).toBe('I am fresh');
  });

  test('resources/updated goes to the subscribed session', async () => {
    const client = await connect();
    const updated = new Promise<string>((resolve) => client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));
    await client.subscribeResource({ uri: 'fixture://static/readme' });
    await web.waitForLine(/"event":"subscribed","uri":"fixture:\/\/static\/readme"/);
    expect(textOf(await client.callTool({ name: 'web_touch_resource', arguments: { uri: 'fixture://static/readme' } }))).toBe('updated fixture://static/readme');
    expect(await updated).toBe('fixture://static/readme');
    await client.unsubscribeResource({ uri: 'fixture://static/readme' });
  });

  test('upstream log messages are relayed, attributed to their server', async () => {
    const client = await connect();
    const got = new Promise<{ logger?: string; data: unknown }>((resolve) => client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params)));
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'web_log', arguments: { level: 'warning', message: 'careful' } });
    expect(await got).toMatchObject({ logger: 'web/fixture', data: 'careful', level: 'warning' });
  });
});
