// Tool arguments, validation rules and upstream answers, through the real
// hub process with the real SDK client (errors as a client sees them).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { startValidationHub } from './support.js';

useProcessCleanup();

let hub: HubProcess;
let eventsFile: string;
let client: Client;

beforeAll(async () => {
  ({ hub, eventsFile } = await startValidationHub());
  client = new Client({ name: 'validation-e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
});

afterAll(async () => {
  await client.close();
  await hub.stop();
  rmSync(path.dirname(eventsFile), { recursive: true, force: true });
  rmSync(hub.dir, { recursive: true, force: true });
});

function received(event: string): unknown[] {
  if (!existsSync(eventsFile)) return [];
  return readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string }).filter((e) => e.event === event);
}

async function refusal(request: Promise<unknown>): Promise<McpError> {
  try {
    await request;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error('the request did not fail');
}

function callsReceived(tool: string): unknown[] {
  if (!existsSync(eventsFile)) return [];
  return readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tool: string; arguments: unknown }).filter((e) => e.tool === tool).map((e) => e.arguments);
}

async function callError(name: string, args: Record<string, unknown>): Promise<McpError> {
  try {
    await client.callTool({ name, arguments: args });
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error(`${name} did not fail`);
}

function text(result: unknown): string {
  return (result as { content: { text?: string }[] }).content.map((c) => c.text ?? '').join('');
}

describe('tool arguments against the upstream tool inputSchema', () => {
  it('valid arguments reach the upstream', async () => {
    expect(text(await client.callTool({ name: 'filesystem_echo', arguments: { text: 'hello' } }))).toBe('hello');
  });

  it('invalid arguments get -32602 ERR_INVALID_ARGUMENTS with the schema errors and never reach the upstream', async () => {
    const err = await callError('filesystem_echo', { text: 5, extra: true });
    expect(err.code).toBe(-32602);
    const data = err.data as { code: string; tool: string; errors: { path: string; keyword: string }[] };
    expect(data.code).toBe('ERR_INVALID_ARGUMENTS');
    expect(data.tool).toBe('echo');
    expect(data.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: '/arguments/text', keyword: 'type' }),
      expect.objectContaining({ path: '/arguments/extra', keyword: 'additionalProperties' }),
    ]));
    expect((await callError('filesystem_echo', {})).data).toMatchObject({ code: 'ERR_INVALID_ARGUMENTS' });
    expect(callsReceived('echo')).toEqual([{ text: 'hello' }]);
  });

  it('a draft-07 schema ($schema) is honoured', async () => {
    expect((await callError('filesystem_read_file', { path: 1 })).data).toMatchObject({ code: 'ERR_INVALID_ARGUMENTS' });
    expect(text(await client.callTool({ name: 'filesystem_read_file', arguments: { path: '/data/a.txt' } }))).toBe('/data/a.txt');
  });

  it('a schema ajv cannot compile fails closed: ERR_UPSTREAM_ERROR, nothing forwarded', async () => {
    const err = await callError('filesystem_broken_schema', { x: 1 });
    expect(err.code).toBe(-32011);
    expect(err.data).toMatchObject({ code: 'ERR_UPSTREAM_ERROR', server: 'filesystem', tool: 'broken_schema', reason: 'uncheckable_input_schema' });
    expect(callsReceived('broken_schema')).toEqual([]);
  });

  it('schemas are recompiled when the server changes its tool list', async () => {
    expect(text(await client.callTool({ name: 'filesystem_echo', arguments: { text: 'ten chars!' } }))).toBe('ten chars!');
    await client.callTool({ name: 'filesystem_tighten', arguments: {} });
    // The upstream's list_changed makes the hub list again; wait until it has.
    for (;;) {
      const echo = (await client.listTools()).tools.find((t) => t.name === 'filesystem_echo');
      if ((echo?.inputSchema.properties?.text as { maxLength?: number } | undefined)?.maxLength === 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const err = await callError('filesystem_echo', { text: 'ten chars!' });
    expect(err.data).toMatchObject({ code: 'ERR_INVALID_ARGUMENTS', errors: [expect.objectContaining({ path: '/arguments/text', keyword: 'maxLength' })] });
  });
});

describe('validation rules (Rego, hatago.validation)', () => {
  it('a tool name over 100 characters: -32602 ERR_VALIDATION_FAILED naming validation.tool_name_length', async () => {
    const err = await callError(`filesystem_${'e'.repeat(95)}`, {});
    expect(err.code).toBe(-32602);
    expect(err.data).toMatchObject({ code: 'ERR_VALIDATION_FAILED', rules: ['validation.tool_name_length'] });
    expect(typeof (err.data as { decisionId?: unknown }).decisionId).toBe('string');
  });

  it('arguments over the server limit: validation.argument_size', async () => {
    const err = await callError('filesystem_read_file', { path: `/data/${'a'.repeat(300)}` });
    expect(err.data).toMatchObject({ code: 'ERR_VALIDATION_FAILED', rules: ['validation.argument_size'] });
    expect(callsReceived('read_file')).toEqual([{ path: '/data/a.txt' }]);
  });

  it('a .. path segment for the filesystem server: validation.forbidden_pattern', async () => {
    const err = await callError('filesystem_read_file', { path: '/data/../etc/passwd' });
    expect(err.code).toBe(-32602);
    expect(err.data).toMatchObject({ code: 'ERR_VALIDATION_FAILED', rules: ['validation.forbidden_pattern'] });
    expect(callsReceived('read_file')).toEqual([{ path: '/data/a.txt' }]);
  });

  it('a .. segment in a resources/read URI for the filesystem server: refused, never forwarded', async () => {
    expect(await client.readResource({ uri: 'file:///data/a.txt' })).toMatchObject({ contents: [{ uri: 'file:///data/a.txt', text: 'content' }] });
    const err = await refusal(client.readResource({ uri: 'file:///data/..' }));
    expect(err.code).toBe(-32602);
    expect(err.message).toContain('Request refused by a validation rule');
    expect(err.data).toMatchObject({ code: 'ERR_VALIDATION_FAILED', rules: ['validation.forbidden_pattern'] });
    expect(received('read')).toEqual([{ event: 'read', uri: 'file:///data/a.txt' }]);
  });

  it('a .. value in completion/complete for the filesystem server: refused, never forwarded', async () => {
    const ref = { type: 'ref/resource' as const, uri: 'file:///data/{name}' };
    expect((await client.complete({ ref, argument: { name: 'name', value: 'rep' } })).completion.values).toEqual(['rep']);
    const err = await refusal(client.complete({ ref, argument: { name: 'name', value: '../etc' } }));
    expect(err.code).toBe(-32602);
    expect(err.data).toMatchObject({ code: 'ERR_VALIDATION_FAILED', rules: ['validation.forbidden_pattern'] });
    expect(received('complete')).toEqual([{ event: 'complete', argument: { name: 'name', value: 'rep' } }]);
  });
});

describe('upstream answers', () => {
  it.each(['filesystem_bad_content', 'filesystem_bad_block'])('%s: a malformed result becomes -32011 ERR_UPSTREAM_ERROR', async (name) => {
    const err = await callError(name, {});
    expect(err.code).toBe(-32011);
    expect(err.data).toMatchObject({ code: 'ERR_UPSTREAM_ERROR', server: 'filesystem' });
  });

  it('the hub and the upstream keep working afterwards', async () => {
    expect(text(await client.callTool({ name: 'filesystem_read_file', arguments: { path: '/after' } }))).toBe('/after');
  });
});
