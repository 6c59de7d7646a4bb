// `hatago serve` as a real process, with two real upstreams (the fixture over
// stdio and the published server-everything over Streamable HTTP), driven by
// the real MCP SDK clients of both protocol revisions.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EVERYTHING_SERVER, fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { freePort, spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

let hub: HubProcess;
const eventsFile = path.join(mkdtempSync(path.join(tmpdir(), 'hatago-events-')), 'events.jsonl');
let everythingPort: number;

function text(result: unknown): string {
  const content = (result as { content: { type: string; text?: string }[] }).content;
  return content.map((c) => c.text ?? '').join('');
}

async function legacyClient(): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  return client;
}

beforeAll(async () => {
  everythingPort = await freePort();
  const everything = spawnProcess(process.execPath, [EVERYTHING_SERVER, 'streamableHttp'], { env: { PORT: String(everythingPort) } });
  await everything.waitForLine(/listening on port/i);
  hub = await startHubProcess({
    mcpServers: {
      fx: fixtureStdio({ FIXTURE_EVENTS_FILE: eventsFile }),
      everything: { type: 'http', url: `http://127.0.0.1:${everythingPort}/mcp` },
      broken: { command: process.execPath, args: ['-e', 'process.exit(3)'] },
    },
    // A crash opens fx's breaker (connection errors are critical); keep its reset short so the test sees it come back.
    security: { authorization: { enabled: true, defaultRole: 'admin' }, circuitBreaker: { rules: { default: { resetTimeoutMs: 300 } } } },
  });
});

describe('hatago serve (2025-11-25 client)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await legacyClient();
  });
  afterAll(async () => {
    await client.close();
  });

  it('aggregates and namespaces the tools of both upstreams', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['fx_echo', 'fx_slow', 'fx_crash', 'everything_echo', 'everything_get-sum']));
    expect(names.filter((n) => !n.startsWith('fx_') && !n.startsWith('everything_'))).toEqual([]);
  });

  it('calls tools on each upstream', async () => {
    expect(text(await client.callTool({ name: 'fx_echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(text(await client.callTool({ name: 'everything_get-sum', arguments: { a: 2, b: 40 } }))).toContain('42');
  });

  it('gets prompts and reads resources through the hub', async () => {
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('fx_greet');
    const prompt = await client.getPrompt({ name: 'fx_greet', arguments: { name: 'Ann' } });
    expect(JSON.stringify(prompt.messages)).toContain('Ann');
    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect(resources).toContain('fixture://static/readme');
    const read = await client.readResource({ uri: 'fixture://static/readme' });
    expect(read.contents[0]?.uri).toBe('fixture://static/readme');
  });

  it('passes progress notifications back to the caller', async () => {
    const seen: number[] = [];
    const result = await client.callTool({ name: 'fx_slow', arguments: { steps: 3, delayMs: 20 } }, CallToolResultSchema, {
      onprogress: (p) => seen.push(p.progress),
    });
    expect(text(result)).toContain('3');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('cancels an upstream call when the client cancels', async () => {
    const ac = new AbortController();
    const call = client.callTool({ name: 'fx_slow', arguments: { steps: 50, delayMs: 100 } }, CallToolResultSchema, { signal: ac.signal, onprogress: () => undefined });
    setTimeout(() => ac.abort('user cancelled'), 300);
    await expect(call).rejects.toThrow('user cancelled');
    // The fixture records the cancel it received in its events file.
    let events = '';
    for (let i = 0; i < 50 && !events.includes('"cancelled"'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '';
    }
    expect(events).toContain('"event":"cancelled"');
    // A cancel is the client's doing, not the upstream's: the breaker does not count it.
    const health = (await (await fetch(`${hub.url}/health/details`)).json()) as { circuitBreakers: { servers: Record<string, { state: string; failures: number }> } };
    expect(health.circuitBreakers.servers.fx).toMatchObject({ state: 'closed', failures: 0 });
    expect(text(await client.callTool({ name: 'fx_echo', arguments: { text: 'after' } }))).toBe('after');
  });

  it('reports an upstream that never started, and keeps the others working', async () => {
    const health = (await (await fetch(`${hub.url}/health/details`)).json()) as { status: string; upstreams: { id: string; state: string }[] };
    expect(health.status).toBe('degraded');
    expect(health.upstreams.find((u) => u.id === 'broken')?.state).toBe('failed');
    expect(health.upstreams.find((u) => u.id === 'fx')?.state).toBe('ready');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.some((n) => n.startsWith('broken_'))).toBe(false);
  });
});

describe('hatago serve (2026-07-28 client)', () => {
  it('serves a stateless client of the current revision', async () => {
    // 'auto': probe with server/discover, fall back to initialize only without modern evidence.
    const client = new ModernClient({ name: 'e2e-modern', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new ModernTransport(new URL(hub.mcpUrl)));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('fx_echo');
      const result = await client.callTool({ name: 'fx_echo', arguments: { text: 'modern' } });
      expect(text(result)).toBe('modern');
    } finally {
      await client.close();
    }
  });
});

describe('an upstream that crashes mid-session', () => {
  it('fails the call, keeps its tools listed, fails fast naming the server, and comes back', async () => {
    const client = await legacyClient();
    try {
      const crashed = await client.callTool({ name: 'fx_crash', arguments: {} }).then(
        () => null,
        (err: unknown) => err as { code?: number; message: string },
      );
      expect(crashed).not.toBeNull();
      expect(crashed?.code).toBe(-32010);
      expect(crashed?.message).toContain('Upstream server "fx" is unavailable');
      // Fails fast while it is away: the breaker (or the unavailable upstream) answers, naming the server.
      const fast = await client.callTool({ name: 'fx_echo', arguments: { text: 'x' } }).then(() => '', (err: Error) => err.message);
      expect(fast).toContain('Upstream server \\"fx\\" is unavailable');
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('fx_echo');
      // Restarted with backoff: the server answers again.
      let answer = '';
      for (let i = 0; i < 100 && answer !== 'back'; i++) {
        answer = await client.callTool({ name: 'fx_echo', arguments: { text: 'back' } }).then(text, () => '');
        if (answer !== 'back') await new Promise((r) => setTimeout(r, 200));
      }
      expect(answer).toBe('back');
    } finally {
      await client.close();
    }
  });
});
