// A non-TypeScript server behind the real hub: test/fixtures/python/server.py
// on the Python MCP SDK (PyPI `mcp`, MCPServer) as three upstreams: over stdio
// (a `command`), over Streamable HTTP negotiated (the SDK answers
// server/discover, so the hub speaks 2026-07-28 to it) and over Streamable
// HTTP pinned to 2025-11-25 (initialize and a session). TypeScript SDK clients
// of both revisions list and call its tools, read its resources and get its
// prompt through the hub.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SERVER_INFO_META } from '../../src/upstreams/server-info-stamp.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { pythonStdioUpstream, runPythonClient, startPythonHttpServer, textOf, type PlanStep } from '../helpers/python.js';
import { useProcessCleanup, type TestProcess } from '../helpers/processes.js';

useProcessCleanup();

/** Upstream id in the hub -> the Python server's name (its resource URIs' host) and the revision the hub should speak to it. */
const UPSTREAMS = {
  pystdio: { name: 'py-stdio', revision: '2025-11-25' },
  pyhttp: { name: 'py-http', revision: '2026-07-28' },
  pypinned: { name: 'py-pinned', revision: '2025-11-25' },
} as const;
type UpstreamId = keyof typeof UPSTREAMS;

/** The calls the test makes, over either client's API. */
interface Caller {
  revision: string;
  toolNames(): Promise<string[]>;
  resourceUris(): Promise<string[]>;
  /** The result's first text, isError, and the `_meta` identity stamp it carries (if any). */
  call(name: string, args: Record<string, unknown>, onProgress?: (p: number) => void): Promise<{ text: string; isError: boolean; stamp?: unknown }>;
  read(uri: string): Promise<string>;
  prompt(name: string, args: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

type Content = { type: string; text?: string }[];
const firstText = (content: unknown) => (content as Content)[0]?.text ?? '';
const stampOf = (meta: unknown) => {
  const stamp = (meta as Record<string, unknown> | undefined)?.[SERVER_INFO_META];
  return stamp === undefined ? {} : { stamp };
};
const textContents = (contents: ({ text: string } | { blob: string })[]) => contents.map((c) => ('text' in c ? c.text : `<blob>`)).join('\n');

async function legacyCaller(url: string): Promise<Caller> {
  const client = new LegacyClient({ name: 'ts-1x', version: '1.0.0' });
  const transport = new LegacyTransport(new URL(url));
  await client.connect(transport);
  return {
    revision: transport.protocolVersion ?? '',
    toolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    resourceUris: async () => (await client.listResources()).resources.map((r) => r.uri),
    call: async (name, args, onProgress) => {
      const r = await client.callTool({ name, arguments: args }, undefined, onProgress && { onprogress: (p) => onProgress(p.progress) });
      return { text: firstText(r.content), isError: r.isError === true, ...stampOf(r._meta) };
    },
    read: async (uri) => textContents((await client.readResource({ uri })).contents),
    prompt: async (name, args) => firstText([(await client.getPrompt({ name, arguments: args })).messages[0]?.content]),
    close: () => client.close(),
  };
}

async function modernCaller(url: string): Promise<Caller> {
  const client = new ModernClient({ name: 'ts-2x', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(new URL(url)));
  return {
    revision: client.getNegotiatedProtocolVersion() ?? '',
    toolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    resourceUris: async () => (await client.listResources()).resources.map((r) => r.uri),
    call: async (name, args, onProgress) => {
      const r = await client.callTool({ name, arguments: args }, onProgress && { onprogress: (p) => onProgress(p.progress) });
      return { text: firstText(r.content), isError: r.isError === true, ...stampOf(r._meta) };
    },
    read: async (uri) => textContents((await client.readResource({ uri })).contents),
    prompt: async (name, args) => firstText([(await client.getPrompt({ name, arguments: args })).messages[0]?.content]),
    close: () => client.close(),
  };
}

let hub: HubProcess;
const pythonServers: TestProcess[] = [];

beforeAll(async () => {
  const [http, pinned] = await Promise.all([startPythonHttpServer(UPSTREAMS.pyhttp.name), startPythonHttpServer(UPSTREAMS.pypinned.name)]);
  pythonServers.push(http.proc, pinned.proc);
  hub = await startHubProcess({
    mcpServers: {
      pystdio: pythonStdioUpstream(UPSTREAMS.pystdio.name),
      pyhttp: { url: http.url },
      pypinned: { url: pinned.url, protocolVersion: '2025-11-25' },
    },
    logging: { file: false },
    security: { authorization: { enabled: true, defaultRole: 'user' } },
  });
  // The hub logs each upstream's negotiated revision as it comes up.
  for (const [id, { revision }] of Object.entries(UPSTREAMS)) {
    await hub.proc.waitForLine(new RegExp(`"message":"Upstream ready","protocolVersion":"${revision}"[^\\n]*"server":"${id}"`), 30_000);
  }
}, 120_000);

afterAll(async () => {
  await hub?.stop(); // stops the stdio Python upstream with it
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
  await Promise.all(pythonServers.map((p) => p.kill('SIGTERM')));
});

describe.each([
  ['2025-11-25 (@modelcontextprotocol/sdk 1.x)', legacyCaller, '2025-11-25'],
  ['2026-07-28 (@modelcontextprotocol/client 2.x)', modernCaller, '2026-07-28'],
] as const)('TypeScript client %s -> hub -> Python servers', (_label, connect, clientRevision) => {
  let caller: Caller;
  beforeAll(async () => {
    caller = await connect(hub.mcpUrl);
  });
  afterAll(async () => {
    await caller?.close();
  });

  test('negotiates its revision with the hub and sees every Python tool and resource, namespaced', async () => {
    expect(caller.revision).toBe(clientRevision);
    const tools = await caller.toolNames();
    const uris = await caller.resourceUris();
    for (const [id, { name }] of Object.entries(UPSTREAMS)) {
      expect(tools).toEqual(expect.arrayContaining(['echo', 'add', 'whoami', 'count'].map((t) => `${id}_${t}`)));
      expect(uris).toContain(`py://${name}/readme`);
    }
  });

  test.each(Object.keys(UPSTREAMS) as UpstreamId[])('%s: calls tools (with progress), reads resources, gets the prompt', async (id) => {
    const { name, revision } = UPSTREAMS[id];
    // The Python server names the revision its request came in: the hub's choice for that upstream, not the client's.
    // No identity stamp of the Python server (its SDK stamps 2026-07-28 results) reaches the hub's client.
    expect(await caller.call(`${id}_whoami`, {})).toEqual({ text: `${name} (python), protocol ${revision}`, isError: false });
    expect(await caller.call(`${id}_add`, { a: 2, b: 3 })).toEqual({ text: '5', isError: false });
    const progress: number[] = [];
    expect(await caller.call(`${id}_count`, { steps: 2 }, (p) => progress.push(p))).toEqual({ text: 'counted 2', isError: false });
    expect(progress).toEqual([1, 2]);
    expect(await caller.read(`py://${name}/readme`)).toBe(`${name} readme`);
    expect(await caller.read(`py://${name}/items/7`)).toBe(`${name} item 7`);
    expect(await caller.prompt(`${id}_greet`, { name: 'Ann' })).toBe('Hello from Python, Ann!');
  });

  test("arguments outside the Python tool's schema (generated by pydantic) are refused by the hub before the call", async () => {
    await expect(caller.call('pyhttp_add', { a: 'two', b: 3 })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining("Invalid arguments: they do not match the tool's input schema"),
      data: { code: 'ERR_INVALID_ARGUMENTS' },
    });
  });
});

describe('Python client -> hub -> Python servers (no TypeScript SDK at either end)', () => {
  test.each(['auto', 'legacy'] as const)('mode "%s": calls, reads and gets the prompt on every Python upstream', async (mode) => {
    const ids = Object.keys(UPSTREAMS) as UpstreamId[];
    const { seen } = await runPythonClient({
      transport: 'http',
      mode,
      url: hub.mcpUrl,
      steps: ids.flatMap((id): PlanStep[] => [
        { call: `${id}_whoami` },
        { call: `${id}_count`, arguments: { steps: 2 }, progress: true },
        { read: `py://${UPSTREAMS[id].name}/items/3` },
        { prompt: `${id}_greet`, arguments: { name: 'Bo' } },
      ]),
    });
    expect(seen.connectError).toBeUndefined();
    expect(seen.protocolVersion).toBe(mode === 'auto' ? '2026-07-28' : '2025-11-25');
    expect(seen.serverName).toBe('hatago');
    ids.forEach((id, i) => {
      const { name, revision } = UPSTREAMS[id];
      const [whoami, count, read, prompt] = seen.steps!.slice(i * 4, i * 4 + 4);
      expect(textOf(whoami)).toBe(`${name} (python), protocol ${revision}`);
      expect(whoami?.result?._meta).toBeUndefined();
      expect(textOf(count)).toBe('counted 2');
      expect(count?.progress?.map((p) => p.progress)).toEqual([1, 2]);
      expect(read?.result?.contents).toEqual([{ uri: `py://${name}/items/3`, mimeType: 'text/plain', text: `${name} item 3` }]);
      expect(prompt?.result?.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello from Python, Bo!' } }]);
    });
  }, 180_000);
});
