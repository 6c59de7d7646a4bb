// The keep-alive wire of 2025-era Streamable HTTP sessions under the SDK
// client (src/upstreams/http-session-transport.ts, keep-alive-http.ts),
// against the real fixture behind a small recording proxy: it shows which
// POSTs carried which JSON-RPC messages and what came back, and can answer
// one tools/call with an HTTP status instead.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import { useProcessCleanup } from '../helpers/processes.js';
import { HatagoError } from '../../src/errors/index.js';
import { classifyError } from '../../src/breaker/classify-error.js';
import { createUpstream, UpstreamRpcError } from '../../src/upstreams/index.js';
import { SseParser } from '../../src/upstreams/sse-parser.js';
import type { ClientRelay, ProgressUpdate, Upstream } from '../../src/upstreams/types.js';
import { remoteConfig, startRemoteFixture, textOf, waitForEvent, waitForState } from './support.js';

useProcessCleanup();

interface Seen {
  method?: string;
  id?: unknown;
  params?: Record<string, unknown>;
  result?: unknown;
  contentType?: string;
  status?: number;
}

/** A pass-through proxy in front of the fixture that records POSTed messages. */
async function recordingProxy(target: number) {
  const seen: Seen[] = [];
  let failNextCall: number | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const msg = req.method === 'POST' && body.length ? (JSON.parse(body.toString()) as Seen) : undefined;
      const entry: Seen = msg ? { method: msg.method, id: msg.id, params: msg.params, result: msg.result } : {};
      if (msg) seen.push(entry);
      if (msg?.method === 'tools/call' && failNextCall !== undefined) {
        entry.status = failNextCall;
        failNextCall = undefined;
        res.writeHead(entry.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'refused by the test' }, id: null }));
        return;
      }
      const up = http.request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (ur) => {
        entry.status = ur.statusCode;
        entry.contentType = String(ur.headers['content-type'] ?? '');
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    seen,
    failNextCallWith(status: number) {
      failNextCall = status;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

type Proxy = Awaited<ReturnType<typeof recordingProxy>>;

async function setUp(env: Record<string, string> = {}) {
  const fixture = await startRemoteFixture('http', env);
  const proxy = await recordingProxy(fixture.port);
  const u = createUpstream('kept', remoteConfig('http', proxy.port), { defaultTimeoutMs: 10_000, backoff: { initialMs: 50, maxMs: 200 } });
  await u.start();
  expect(u.status().state).toBe('ready');
  return { fixture, proxy, u };
}

/** The recorded POST of the tools/call for `tool`, last first. */
function callOf(proxy: Proxy, tool: string): Seen {
  const c = [...proxy.seen].reverse().find((s) => s.method === 'tools/call' && s.params?.name === tool);
  if (!c) throw new Error(`no tools/call ${tool} seen`);
  return c;
}

function relay(): ClientRelay & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    capabilities: { sampling: {}, elicitation: {}, roots: {} },
    async request(method, params) {
      calls.push(method);
      const text = (params as { messages: { content: { text: string } }[] }).messages[0]?.content.text ?? '';
      return { role: 'assistant', model: 'm', content: { type: 'text', text: `answer to ${text}` } };
    },
  };
}

describe('keep-alive wire, SSE answers', () => {
  let fixture: Awaited<ReturnType<typeof startRemoteFixture>>;
  let proxy: Proxy;
  let u: Upstream;
  beforeAll(async () => {
    ({ fixture, proxy, u } = await setUp());
  });
  afterAll(async () => {
    await u.stop();
    await proxy.close();
  });

  test('a tools/call goes out as our own POST and comes back over SSE', async () => {
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    const c = callOf(proxy, 'echo');
    // The id is the SDK client's: its protocol layer matched the answer.
    expect(typeof c.id).toBe('number');
    expect(c.contentType).toContain('text/event-stream');
  });

  test('a JSON-RPC error answer is an UpstreamRpcError with the code the SDK client reads it as', async () => {
    const err = await u.request('resources/read', { uri: 'fixture://items/missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRpcError);
    // "resource not found": -32002 before 2026-07-28, read as -32602 on every transport (as over stdio, transports.test.ts).
    expect((err as UpstreamRpcError).code).toBe(-32602);
  });

  test('progress arrives in order, the last one included', async () => {
    const updates: ProgressUpdate[] = [];
    const r = await u.request('tools/call', { name: 'slow', arguments: { steps: 6, delayMs: 1 } }, { onProgress: (p) => updates.push(p) });
    expect(textOf(r)).toBe('done 6');
    expect(updates.map((p) => p.progress)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(updates[5]).toEqual({ progress: 6, total: 6, message: 'step 6' });
  });

  test('a sampling request inside the answer stream is relayed and answered by POST', async () => {
    const alice = relay();
    const r = await u.request('tools/call', { name: 'sample', arguments: { prompt: 'hi' } }, { relay: alice });
    expect(textOf(r)).toBe('answer to hi');
    expect(alice.calls).toEqual(['sampling/createMessage']);
    // The answer went back as a JSON-RPC response POST.
    expect(proxy.seen.some((s) => s.method === undefined && (s.result as { model?: string } | undefined)?.model === 'm' && s.status === 202)).toBe(true);
  });

  test('concurrent calls of two clients: each in-answer request and notification reaches its own caller only', async () => {
    const alice = relay();
    const bob = relay();
    const notes: Record<string, unknown[]> = { alice: [], bob: [] };
    const calls = Array.from({ length: 8 }, (_, i) => {
      const who = i % 2 === 0 ? 'alice' : 'bob';
      const r = who === 'alice' ? alice : bob;
      return Promise.all([
        u.request('tools/call', { name: 'sample', arguments: { prompt: `${who} ${i}` } }, { relay: r }),
        u.request('tools/call', { name: 'log_in_call', arguments: { message: `${who} ${i}` } }, { onNotification: (_m, p) => notes[who]!.push((p as { data: unknown }).data) }),
      ]).then(([sampled]) => [who, i, textOf(sampled)] as const);
    });
    for (const [who, i, text] of await Promise.all(calls)) expect(text).toBe(`answer to ${who} ${i}`);
    expect(alice.calls).toHaveLength(4);
    expect(bob.calls).toHaveLength(4);
    expect([...notes.alice!].sort()).toEqual(['alice 0', 'alice 2', 'alice 4', 'alice 6']);
    expect([...notes.bob!].sort()).toEqual(['bob 1', 'bob 3', 'bob 5', 'bob 7']);
  });

  test('sampling without a relay is refused', async () => {
    const r = await u.request('tools/call', { name: 'sample', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('hatago refused sampling/createMessage');
  });

  test('other notifications in the stream reach the notification event', async () => {
    const got = waitForEvent(u, 'notification', (method: string, _params: unknown) => method === 'notifications/message');
    expect(textOf(await u.request('tools/call', { name: 'log', arguments: { level: 'info', message: 'hello log' } }))).toBe('logged');
    const [, params] = await got;
    expect(params).toMatchObject({ level: 'info', data: 'hello log' });
  });

  test('cancelling sends notifications/cancelled, and the upstream stops', async () => {
    const ctrl = new AbortController();
    const called = fixture.proc.waitForLine(/FIXTURE_EVENT .*"called","tool":"hang"/);
    const p = u.request('tools/call', { name: 'hang', arguments: {} }, { signal: ctrl.signal }).catch((e: unknown) => e);
    await called;
    const cancelled = fixture.proc.waitForLine(/FIXTURE_EVENT .*"cancelled","tool":"hang"/);
    ctrl.abort(new Error('client went away'));
    expect(((await p) as Error).message).toBe('client went away');
    await cancelled;
    const id = callOf(proxy, 'hang').id;
    expect(proxy.seen.some((s) => s.method === 'notifications/cancelled' && s.params?.requestId === id)).toBe(true);
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { text: 'still fine' } }))).toBe('still fine');
  });

  test('a timeout is ERR_UPSTREAM_TIMEOUT and cancels upstream', async () => {
    const cancelled = fixture.proc.waitForLine(/FIXTURE_EVENT .*"cancelled","tool":"hang"/);
    const err = await u.request('tools/call', { name: 'hang', arguments: {} }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_UPSTREAM_TIMEOUT');
    await cancelled;
  });

  test('an HTTP 401 keeps its status for the breaker', async () => {
    proxy.failNextCallWith(401);
    const err = await u.request('tools/call', { name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    expect((err as HatagoError).code).toBe('ERR_UPSTREAM_UNAVAILABLE');
    expect(classifyError(err)).toBe('auth');
  });
});

describe('keep-alive wire, JSON answers', () => {
  let proxy: Proxy;
  let u: Upstream;
  beforeAll(async () => {
    ({ proxy, u } = await setUp({ FIXTURE_JSON_RESPONSE: '1' }));
  });
  afterAll(async () => {
    await u.stop();
    await proxy.close();
  });

  test('a tools/call comes back as one application/json body', async () => {
    expect(textOf(await u.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5');
    const c = callOf(proxy, 'add');
    expect(c.contentType).toContain('application/json');
  });

  test('a JSON-RPC error answer is an UpstreamRpcError', async () => {
    const err = await u.request('resources/read', { uri: 'fixture://items/missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRpcError);
    expect((err as UpstreamRpcError).code).toBe(-32602);
  });

  test('results come back as sent', async () => {
    const r = await u.request('tools/call', { name: 'echo', arguments: { text: 'x' } });
    expect(r).toEqual({ content: [{ type: 'text', text: 'x' }] });
  });
});

describe('keep-alive wire, session gone', () => {
  test('an HTTP 404 fails the call as unavailable and initializes again', async () => {
    const { proxy, u } = await setUp();
    try {
      const sessions = () => proxy.seen.filter((s) => s.method === 'initialize').length;
      expect(sessions()).toBe(1);
      proxy.failNextCallWith(404);
      const err = await u.request('tools/call', { name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
      expect((err as HatagoError).code).toBe('ERR_UPSTREAM_UNAVAILABLE');
      if (!(u.status().state === 'ready' && u.status().restarts === 1)) {
        await waitForEvent(u, 'state', (s: { state: string; restarts: number }) => s.state === 'ready' && s.restarts === 1);
      }
      await waitForState(u, 'ready');
      expect(sessions()).toBe(2);
      expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { text: 'fresh' } }))).toBe('fresh');
    } finally {
      await u.stop();
      await proxy.close();
    }
  });
});

describe('SseParser', () => {
  test('events split anywhere, CRLF/CR/LF, comments, multi-line data, named events', () => {
    const text = ': hello\r\nevent: message\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 7\ndata: two\n\nevent: other\rdata: x\r\rdata:no-space\n\n';
    const expected = [['message', '{"a":\n1}'], ['message', 'two'], ['other', 'x'], ['message', 'no-space']];
    for (let size = 1; size <= text.length; size++) {
      const got: string[][] = [];
      const p = new SseParser((event, data) => got.push([event, data]));
      for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size));
      expect(got).toEqual(expected);
    }
  });

  test('the last event id is kept across events, reset by an empty id, and an id with NUL is ignored', () => {
    const ids: (string | undefined)[] = [];
    const p = new SseParser((_event, _data, id) => ids.push(id));
    p.push('id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n');
    expect(ids).toEqual(['1', '1', '1', undefined]);
    expect(p.lastEventId).toBeUndefined();
  });
});
