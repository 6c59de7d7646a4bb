import { afterAll, describe, expect, test } from '@jest/globals';
import { useProcessCleanup } from '../helpers/processes.js';
import { createUpstream, UpstreamRpcError } from '../../src/upstreams/index.js';
import type { Upstream } from '../../src/upstreams/types.js';
import type { ServerConfig } from '../../src/config/types.js';
import { remoteConfig, startRemoteFixture, stdioFixture, textOf } from './support.js';

useProcessCleanup();
const started: Upstream[] = [];
afterAll(async () => {
  await Promise.all(started.map((u) => u.stop()));
});

async function connected(kind: 'stdio' | 'http' | 'sse'): Promise<Upstream> {
  let config: ServerConfig;
  if (kind === 'stdio') config = stdioFixture();
  else config = remoteConfig(kind, (await startRemoteFixture(kind)).port);
  const u = createUpstream(`fx-${kind}`, config, { defaultTimeoutMs: 10_000 });
  started.push(u);
  await u.start();
  return u;
}

describe.each(['stdio', 'http', 'sse'] as const)('fixture over %s', (kind) => {
  let u: Upstream;

  test('connects with 2025-11-25 and lists everything', async () => {
    u = await connected(kind);
    const s = u.status();
    expect(s.state).toBe('ready');
    expect(s.transport).toBe(kind);
    expect(s.protocolVersion).toBe('2025-11-25');
    const cat = u.catalog();
    expect(cat.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'slow', 'fail', 'hang', 'crash', 'sample']));
    expect(cat.prompts.map((p) => p.name)).toEqual(['greet', 'summarize']);
    expect(cat.resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['fixture://static/readme', 'fixture://items/1']));
    expect(cat.resourceTemplates.map((r) => r.uriTemplate)).toEqual(['fixture://items/{id}']);
    expect(s.counts.tools).toBe(cat.tools.length);
  });

  test('calls tools, prompts, resources and completion', async () => {
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(textOf(await u.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5');
    const prompt = await u.request('prompts/get', { name: 'greet', arguments: { name: 'Ann' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello, Ann!' } }]);
    const res = await u.request('resources/read', { uri: 'fixture://items/7' });
    expect(res.contents).toEqual([{ uri: 'fixture://items/7', mimeType: 'application/json', text: '{"id":"7"}' }]);
    const completion = await u.request('completion/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'b' } });
    expect((completion.completion as { values: string[] }).values).toEqual(['Bob']);
    expect(await u.request('logging/setLevel', { level: 'debug' })).toEqual({});
  });

  test('an isError result is a result, a JSON-RPC error is an UpstreamRpcError', async () => {
    const r = await u.request('tools/call', { name: 'fail', arguments: { mode: 'isError' } });
    expect(r.isError).toBe(true);
    const err = await u.request('prompts/get', { name: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRpcError);
    expect((err as UpstreamRpcError).code).toBe(-32602);
    expect((err as UpstreamRpcError).server).toBe(`fx-${kind}`);
  });

  test('passes progress back', async () => {
    const seen: number[] = [];
    const r = await u.request('tools/call', { name: 'slow', arguments: { steps: 3, delayMs: 20 } }, { onProgress: (p) => seen.push(p.progress) });
    expect(textOf(r)).toBe('done 3');
    // Every update, in order, the last one included: it often arrives in the
    // same read as the result (progress-tap.ts).
    expect(seen).toEqual([1, 2, 3]);
  });
});
