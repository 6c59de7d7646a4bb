// 2026-07-28 clients: the real 2.x client, stateless, on the same /mcp.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { startHttpFixture, startHub, type Running } from '../hub/support.js';

useProcessCleanup();

let run: Running;
let client: Client;

const textOf = (r: unknown) => ((r as { content: { text: string }[] }).content[0]!.text);

beforeAll(async () => {
  const fx = await startHttpFixture();
  run = await startHub({ web: { url: fx.url } });
  client = new Client({ name: 'modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(run.url)));
});

afterAll(async () => {
  await client.close();
  await run.stop();
});

describe('2026-07-28 client', () => {
  test('negotiates the modern revision statelessly', () => {
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(client.getProtocolEra()).toBe('modern');
    expect(run.http.sessionCount()).toBe(0);
  });

  test('lists and calls', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('web_echo');
    expect(textOf(await client.callTool({ name: 'web_echo', arguments: { text: 'modern' } }))).toBe('modern');
    const prompt = await client.getPrompt({ name: 'web_greet', arguments: { name: 'Bo' } });
    expect(prompt.messages[0]!.content).toEqual({ type: 'text', text: 'Hello, Bo!' });
    const read = await client.readResource({ uri: 'fixture://items/9' });
    expect(read.contents[0]).toMatchObject({ text: '{"id":"9"}' });
  });

  test('progress streams over SSE', async () => {
    const seen: number[] = [];
    const r = await client.callTool({ name: 'web_slow', arguments: { steps: 2, delayMs: 5 } }, { onprogress: (p) => seen.push(p.progress) });
    expect(textOf(r)).toBe('done 2');
    expect(seen).toEqual([1, 2]);
  });

  test('errors carry the stable code', async () => {
    await expect(client.callTool({ name: 'web_nope', arguments: {} })).rejects.toMatchObject({ code: -32602, data: { code: 'ERR_UNKNOWN_TOOL' } });
  });

  test('an upstream sampling request during its call is refused, not sent elsewhere', async () => {
    // A 2025 client that could sample is connected at the same time; it must not be asked.
    const legacy = new LegacyClient({ name: 'bystander', version: '1' }, { capabilities: { sampling: {} } });
    let asked = false;
    const { CreateMessageRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    legacy.setRequestHandler(CreateMessageRequestSchema, async () => {
      asked = true;
      return { role: 'assistant', model: 'x', content: { type: 'text', text: 'stolen' } };
    });
    await legacy.connect(new LegacyTransport(new URL(run.url)));
    const r = await client.callTool({ name: 'web_sample', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('cannot serve');
    expect(asked).toBe(false);
    await legacy.close();
  });
});
