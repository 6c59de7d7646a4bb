import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { useProcessCleanup } from '../helpers/processes.js';
import { createUpstream } from '../../src/upstreams/index.js';
import type { ClientRelay, Upstream, UpstreamCatalog } from '../../src/upstreams/types.js';
import { remoteConfig, startRemoteFixture, stdioFixture, textOf, waitForEvent } from './support.js';

useProcessCleanup();

function relay(name: string, capabilities: Record<string, unknown> | undefined = { sampling: {}, elicitation: {}, roots: {} }) {
  const calls: string[] = [];
  const r: ClientRelay = {
    capabilities,
    async request(method, params) {
      calls.push(method);
      if (method === 'sampling/createMessage') {
        const text = ((params as { messages: { content: { text: string } }[] }).messages[0]?.content.text ?? '');
        return { role: 'assistant', model: name, content: { type: 'text', text: `${name} answers ${text}` } };
      }
      if (method === 'elicitation/create') return { action: 'accept', content: { name } };
      return { roots: [{ uri: `file:///${name}`, name }] };
    },
  };
  return Object.assign(r, { calls });
}

describe.each(['stdio', 'http'] as const)('upstream-to-client requests over %s', (kind) => {
  let u: Upstream;
  beforeAll(async () => {
    const config = kind === 'stdio' ? stdioFixture() : remoteConfig('http', (await startRemoteFixture('http')).port);
    u = createUpstream(`relay-${kind}`, config, { defaultTimeoutMs: 10_000 });
    await u.start();
  });
  afterAll(async () => {
    await u.stop();
  });

  test('sampling, elicitation and roots go to the relay of the call they belong to', async () => {
    const alice = relay('alice');
    expect(textOf(await u.request('tools/call', { name: 'sample', arguments: { prompt: 'hi' } }, { relay: alice }))).toBe('alice answers hi');
    expect(JSON.parse(textOf(await u.request('tools/call', { name: 'elicit', arguments: {} }, { relay: alice })))).toEqual({ action: 'accept', content: { name: 'alice' } });
    expect(JSON.parse(textOf(await u.request('tools/call', { name: 'roots', arguments: {} }, { relay: alice })))).toEqual([{ uri: 'file:///alice', name: 'alice' }]);
    expect(alice.calls).toEqual(['sampling/createMessage', 'elicitation/create', 'roots/list']);
  });

  test('two concurrent calls from one relay still relay', async () => {
    const alice = relay('alice');
    const [a, b] = await Promise.all([
      u.request('tools/call', { name: 'sample', arguments: { prompt: 'one' } }, { relay: alice }),
      u.request('tools/call', { name: 'sample', arguments: { prompt: 'two' } }, { relay: alice }),
    ]);
    expect([textOf(a), textOf(b)]).toEqual(['alice answers one', 'alice answers two']);
  });

  test('is refused without a relay', async () => {
    const r = await u.request('tools/call', { name: 'sample', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('-32600');
    expect(textOf(r)).toContain('hatago refused sampling/createMessage');
  });

  test('is refused when the relay lacks the capability', async () => {
    const noSampling = relay('carol', { roots: {} });
    const r = await u.request('tools/call', { name: 'sample', arguments: {} }, { relay: noSampling });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('"sampling" capability');
    expect(noSampling.calls).toEqual([]);
  });

  // These two leave a call of another client unanswered (aborted): relays from other clients are refused after them.
  test('with calls from two clients in flight, neither is asked for the other\'s request', async () => {
    const alice = relay('alice');
    const bob = relay('bob');
    // bob's slow call keeps a second relay in flight while alice's tool asks for sampling.
    const ac = new AbortController();
    const bobCall = u.request('tools/call', { name: 'slow', arguments: { steps: 1000, delayMs: 20 } }, { relay: bob, signal: ac.signal }).catch(() => 'aborted');
    const r = await u.request('tools/call', { name: 'sample', arguments: {} }, { relay: alice });
    ac.abort();
    await bobCall;
    expect(bob.calls).toEqual([]);
    if (kind === 'http') {
      // The request came inside alice's answer stream: it is hers, and only hers.
      expect(textOf(r)).toBe('alice answers hello');
      expect(alice.calls).toEqual(['sampling/createMessage']);
    } else {
      // One channel for everything: it cannot be attributed, so nobody is asked.
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('several clients');
      expect(alice.calls).toEqual([]);
    }
  });

  test('a request sent after its call ended goes to nobody, not to the caller in flight then', async () => {
    const alice = relay('alice');
    const bob = relay('bob');
    const ac = new AbortController();
    // On stdio bob's call overlaps alice's; over HTTP the deferred request arrives on the GET stream.
    const bobCall = u.request('tools/call', { name: 'slow', arguments: { steps: 1000, delayMs: 20 } }, { relay: bob, signal: ac.signal }).catch(() => 'aborted');
    const refused = waitForEvent<[{ method: string; reason: string }]>(u, 'relay_refused', (e) => e.method === 'sampling/createMessage');
    expect(textOf(await u.request('tools/call', { name: 'sample_later', arguments: { delayMs: 100 } }, { relay: alice }))).toBe('scheduled');
    const [info] = await refused;
    ac.abort();
    await bobCall;
    expect(info.reason).toMatch(kind === 'http' ? /outside the answer stream of any call/ : /another client overlapped/);
    expect(alice.calls).toEqual([]);
    expect(bob.calls).toEqual([]);
  });

  test('list_changed refreshes the catalog and emits it', async () => {
    const changed = waitForEvent<[UpstreamCatalog]>(u, 'catalog', (c) => c.tools.some((t) => t.name === 'added_tool'));
    await u.request('tools/call', { name: 'add_tool', arguments: { name: 'added_tool' } });
    const [cat] = await changed;
    expect(cat.tools.map((t) => t.name)).toContain('added_tool');
    expect(u.catalog().tools.map((t) => t.name)).toContain('added_tool');
  });

  test('resource subscriptions and logging come back as notifications', async () => {
    const updated = waitForEvent<[string, unknown]>(u, 'notification', (m) => m === 'notifications/resources/updated');
    await u.request('resources/subscribe', { uri: 'fixture://static/readme' });
    await u.request('tools/call', { name: 'touch_resource', arguments: { uri: 'fixture://static/readme' } });
    expect((await updated)[1]).toEqual({ uri: 'fixture://static/readme' });
    const logged = waitForEvent<[string, unknown]>(u, 'notification', (m) => m === 'notifications/message');
    await u.request('tools/call', { name: 'log', arguments: { level: 'warning', message: 'careful' } });
    expect((await logged)[1]).toEqual({ level: 'warning', logger: 'fixture', data: 'careful' });
    expect(await u.request('resources/unsubscribe', { uri: 'fixture://static/readme' })).toEqual({});
  });
});

describe('over stdio, a call that ended without its answer', () => {
  let u: Upstream;
  beforeAll(async () => {
    u = createUpstream('relay-unfinished', { command: process.execPath, args: [path.resolve('test/fixtures/servers/hostile-stdio.mjs')] }, { defaultTimeoutMs: 10_000 });
    await u.start();
  });
  afterAll(async () => {
    await u.stop();
  });

  test('a request the upstream sends for it later goes to nobody, not to the next caller', async () => {
    const alice = relay('alice');
    const bob = relay('bob');
    // alice gives up on her call; the upstream goes on and asks about her data while bob's call runs.
    await expect(u.request('tools/call', { name: 'late_sample', arguments: { ms: 400 } }, { relay: alice, timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    const refused = waitForEvent<[{ method: string; reason: string }]>(u, 'relay_refused');
    const bobCall = u.request('tools/call', { name: 'wait', arguments: { ms: 1500 } }, { relay: bob });
    const [info] = await refused;
    expect(info).toEqual({ method: 'sampling/createMessage', reason: 'a call of another client ended without its answer recently; the request may be its' });
    expect(textOf(await bobCall)).toBe('waited');
    expect(bob.calls).toEqual([]);
    expect(alice.calls).toEqual([]);
  });
});
