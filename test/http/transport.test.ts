// /mcp framing, sessions, the pipeline hook, /health and the guard, over raw
// HTTP: exact statuses and stable error codes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { HatagoError } from '../../src/errors/index.js';
import { createHttpApp, isPlainMcp } from '../../src/http/app.js';
import type { CallerContext, GuardRequest, GuardResult, RequestGuard } from '../../src/hub/types.js';
import { useProcessCleanup, type TestProcess } from '../helpers/processes.js';
import { PermissiveGuard, quietLogger, startHttpFixture, startHub, type Running } from '../hub/support.js';

useProcessCleanup();

const ACCEPT = 'application/json, text/event-stream';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** Denies every tools/call, like a policy would; allows the rest. */
class DenyCallsGuard implements RequestGuard {
  private readonly allow = new PermissiveGuard();
  async check(ctx: CallerContext, req: GuardRequest): Promise<GuardResult> {
    if (req.method === 'tools/call') throw new HatagoError('ERR_PERMISSION_DENIED', { data: { decisionId: 'decision-1' } });
    return this.allow.check(ctx, req);
  }
}

let fixture: TestProcess;
let run: Running;
let denying: Running;
const extraServers: Server[] = [];

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

async function openSession(url: string): Promise<string> {
  const r = await post(url, INIT);
  expect(r.status).toBe(200);
  return r.headers.get('mcp-session-id')!;
}

async function listen(app: import('express').Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  extraServers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const fx = await startHttpFixture();
  fixture = fx.proc;
  run = await startHub({ web: { url: fx.url } }, { app: { healthExtras: () => ({ policy: { revision: 'rev-1' } }) } });
  denying = await startHub({ web: { url: fx.url } }, { guard: new DenyCallsGuard() });
});

afterAll(async () => {
  for (const s of extraServers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await run.stop();
  await denying.stop();
});

describe('malformed requests are 4xx JSON-RPC errors', () => {
  test('wrong content type: 415', async () => {
    const r = await post(run.url, JSON.stringify(INIT), { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.json.error.data.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  test('bad JSON: 400 parse error', async () => {
    const r = await post(run.url, '{"jsonrpc":');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: -32700, data: { code: 'ERR_PARSE' } });
  });

  test('not JSON-RPC: 400', async () => {
    const r = await post(run.url, [1, 2]);
    expect(r.status).toBe(400);
    expect(r.json.error.data.code).toBe('ERR_INVALID_REQUEST');
  });

  test('other HTTP methods: 405', async () => {
    const res = await fetch(run.url, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('ERR_METHOD_NOT_ALLOWED');
  });
});

describe('2025-11-25 sessions', () => {
  test('a request without a session is 400; an unknown session is 404', async () => {
    const missing = await post(run.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(missing.status).toBe(400);
    expect(missing.json.error.data.code).toBe('ERR_SESSION_REQUIRED');
    const unknown = await post(run.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.data.code).toBe('ERR_SESSION_NOT_FOUND');
    const get = await fetch(run.url, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(400);
    const getUnknown = await fetch(run.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'nope' } });
    expect(getUnknown.status).toBe(404);
  });

  test('initialize opens a session that answers; DELETE ends it', async () => {
    const sid = await openSession(run.url);
    const list = await post(run.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    expect(list.status).toBe(200);
    expect(list.json.result.tools.map((t: { name: string }) => t.name)).toContain('web_echo');
    expect(run.http.sessionCount()).toBeGreaterThan(0);
    const del = await fetch(run.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    const after = await post(run.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': sid });
    expect(after.status).toBe(404);
    const del2 = await fetch(run.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del2.status).toBe(404);
  });

  test('a GET stream without Accept: text/event-stream is 406 ERR_NOT_ACCEPTABLE', async () => {
    const sid = await openSession(run.url);
    const res = await fetch(run.url, { headers: { accept: 'application/json', 'mcp-session-id': sid } });
    expect(res.status).toBe(406);
    const body = (await res.json()) as { error: { code: number; message: string; data: { code: string } } };
    expect(body.error).toEqual({ code: -32600, message: 'Accept must include application/json and text/event-stream', data: { code: 'ERR_NOT_ACCEPTABLE' } });
  });

  test('an unsupported MCP-Protocol-Version header is 400', async () => {
    const sid = await openSession(run.url);
    const r = await post(run.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
    expect(r.status).toBe(400);
    expect(r.json.error.data.code).toBe('ERR_UNSUPPORTED_PROTOCOL_VERSION');
  });

  test('an unknown method is a JSON-RPC error, not an HTTP one', async () => {
    const sid = await openSession(run.url);
    const r = await post(run.url, { jsonrpc: '2.0', id: 2, method: 'no/such' }, { 'mcp-session-id': sid });
    expect(r.status).toBe(200);
    expect(r.json.error).toMatchObject({ code: -32601, data: { code: 'ERR_METHOD_NOT_FOUND' } });
  });
});

describe('front stages', () => {
  test('a HatagoError from an injected stage ends the exchange with its status; 401 challenges', async () => {
    const { app } = createHttpApp({
      hub: run.hub,
      logger: quietLogger,
      front: [{
        name: 'authentication',
        scope: 'http',
        does: 'a test token',
        fails: ['ERR_UNAUTHENTICATED'],
        run(x) {
          if (x.req.headers.authorization !== 'Bearer good') throw new HatagoError('ERR_UNAUTHENTICATED');
          x.client = { ip: '127.0.0.1', origin: null, userAgent: null };
          x.principal = { sub: 'u1', roles: ['user'], claims: {} };
        },
      }],
    });
    const url = `${await listen(app)}/mcp`;
    const denied = await post(url, INIT);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="hatago"');
    expect(denied.json.error).toMatchObject({ code: -32001, data: { code: 'ERR_UNAUTHENTICATED' } });
    const ok = await post(url, INIT, { authorization: 'Bearer good' });
    expect(ok.status).toBe(200);
    // A session belongs to its principal: the anonymous app cannot use it.
    const sid = ok.headers.get('mcp-session-id')!;
    const other = await post(run.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': sid });
    expect(other.status).toBe(404);
  });
});

describe('the direct /mcp route (isPlainMcp)', () => {
  test('a failure past the handler\'s own catch (here the tracer) is logged and answered 500 ERR_INTERNAL, never unhandled', async () => {
    const http = createHttpApp({
      hub: run.hub,
      logger: quietLogger,
      tracing: { http: () => { throw new Error('tracer broke'); }, stageStarted: () => undefined, stageEnded: () => undefined },
    });
    // Served as start-hub serves it: the plain /mcp requests straight to the handler.
    const server = createServer((req, res) => (isPlainMcp(req) ? http.serveMcp(req, res) : http.app(req, res)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    extraServers.push(server);
    const before = quietLogger.lines.length;
    const r = await post(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, INIT);
    expect({ status: r.status, error: r.json.error }).toEqual({ status: 500, error: { code: -32603, message: 'Internal error', data: { code: 'ERR_INTERNAL' } } });
    expect(quietLogger.lines.slice(before).join('\n')).toContain('error unexpected error on /mcp');
    expect(quietLogger.lines.slice(before).join('\n')).toContain('tracer broke');
  });
});

describe('guard', () => {
  test('a denying guard stops forwarding; the client sees the code and decisionId', async () => {
    const sid = await openSession(denying.url);
    const r = await post(denying.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'web_hang', arguments: {} } }, { 'mcp-session-id': sid });
    expect(r.status).toBe(403); // issue 3: a denied call is an HTTP 403 with the JSON-RPC error
    expect(r.json.error).toMatchObject({ code: -32003, data: { code: 'ERR_PERMISSION_DENIED', decisionId: 'decision-1' } });
    // A later allowed request to the same upstream proves the stream is in order; the denied call never arrived.
    const sid2 = await openSession(run.url);
    await post(run.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'web_echo', arguments: { text: 'x' } } }, { 'mcp-session-id': sid2 });
    expect(fixture.output()).not.toContain('"tool":"hang"');
  });
});

describe('/health', () => {
  test('/health is liveness only', async () => {
    const res = await fetch(run.url.replace('/mcp', '/health'));
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  test('/health/details reports each upstream and the extras', async () => {
    const res = await fetch(run.url.replace('/mcp', '/health/details'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { upstreams: unknown[] };
    expect(body).toMatchObject({ status: 'ok', policy: { revision: 'rev-1' } });
    expect(body.upstreams).toEqual([expect.objectContaining({ id: 'web', state: 'ready', transport: 'http' })]);
  });
});
