// Every byte an upstream sends back is bounded (mcpServers.<id>.maxResponseBytes):
// an answer past the bound fails only its own call, as ERR_UPSTREAM_ERROR with
// data.reason "response_too_large"; the upstream stays up (a stdio child is not
// restarted), its breaker does not count it, and other calls go on. An upstream
// that breaks its answer off mid-stream, in any of several ways, fails the
// call and never the hub.
import { rmSync } from 'node:fs';
import { packagePath } from '../../src/util/package-root.js';
import { FIXTURE_SERVER, fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';

useProcessCleanup();

const MiB = 1024 * 1024;
const HOSTILE = packagePath('test', 'fixtures', 'servers', 'hostile-http.mjs');
const HOSTILE_STDIO = packagePath('test', 'fixtures', 'servers', 'hostile-stdio.mjs');

let hub: HubProcess;
let sid: string;
let hostileVictim: TestProcess;
let nextId = 1;

async function startListening(args: string[], line: RegExp, env: Record<string, string> = {}): Promise<{ proc: TestProcess; url: string }> {
  const proc = spawnProcess(process.execPath, args, { env });
  const m = await proc.waitForLine(line, 30000);
  return { proc, url: `http://127.0.0.1:${m[1]}/mcp` };
}

function call(name: string, args: Record<string, unknown> = {}) {
  return rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } },
    headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', accept: 'application/json, text/event-stream' },
  });
}

/** The JSON-RPC answer of a call, whether it came as JSON or as one SSE event. */
function answerOf(r: { json: any; text: string }): any {
  if (r.json !== undefined) return r.json;
  const data = r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  return data[data.length - 1];
}

async function health(): Promise<{ upstreams: { id: string; state: string; restarts: number }[]; circuitBreakers: { servers: Record<string, { state: string }> } }> {
  return (await (await fetch(`${hub.url}/health/details`)).json()) as never;
}

function expectTooLarge(answer: any, server: string): void {
  expect(answer.error.code).toBe(-32011);
  expect(answer.error.message).toBe(`Upstream server "${server}" sent an answer larger than the hub accepts`);
  expect(answer.error.data).toMatchObject({ code: 'ERR_UPSTREAM_ERROR', server, reason: 'response_too_large', maxResponseBytes: MiB });
}

beforeAll(async () => {
  const fixtureHttp = await startListening([FIXTURE_SERVER, 'http'], /FIXTURE_LISTENING port=(\d+)/);
  const fixtureJson = await startListening([FIXTURE_SERVER, 'http'], /FIXTURE_LISTENING port=(\d+)/, { FIXTURE_JSON_RESPONSE: '1' });
  const hostile = await startListening([HOSTILE], /HOSTILE_LISTENING port=(\d+)/);
  const victim = await startListening([HOSTILE], /HOSTILE_LISTENING port=(\d+)/);
  hostileVictim = victim.proc;
  hub = await startHubProcess({
    mcpServers: {
      stdio: { ...fixtureStdio(), maxResponseBytes: MiB },
      sse: { url: fixtureHttp.url, maxResponseBytes: MiB },
      json: { url: fixtureJson.url, maxResponseBytes: MiB },
      hostile: { url: hostile.url, maxResponseBytes: MiB },
      victim: { url: victim.url, maxResponseBytes: MiB, tags: ['hostile'] },
      evil: { command: process.execPath, args: [HOSTILE_STDIO], maxResponseBytes: MiB },
    },
    security: {
      authorization: { enabled: true, defaultRole: 'admin' },
      // One counted failure would open a breaker: an oversized answer must not count.
      circuitBreaker: { enabled: true, rules: { default: { failureThreshold: 1, resetTimeoutMs: 60000, halfOpenMaxCalls: 1 }, hostile: { failureThreshold: 100, resetTimeoutMs: 1000, errorClassification: { connection: 'high', protocol: 'high' } } } },
    },
  });
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
  sid = String(init.headers['mcp-session-id']);
}, 60000);

describe.each([
  ['stdio', 'a stdio child'],
  ['sse', 'a Streamable HTTP upstream answering in SSE'],
  ['json', 'a Streamable HTTP upstream answering in JSON'],
])('an oversized answer from %s (%s)', (server) => {
  it('fails only that call, with response_too_large', async () => {
    const r = await call(`${server}_big`, { bytes: 2 * MiB });
    expect(r.status).toBe(200);
    expectTooLarge(answerOf(r), server);
  });

  it('leaves the upstream serving: a call under the bound gets its whole answer', async () => {
    const r = await call(`${server}_big`, { bytes: MiB / 2 });
    expect(answerOf(r).result.content[0].text).toHaveLength(MiB / 2);
    const echo = await call(`${server}_echo`, { text: 'still here' });
    expect(answerOf(echo).result.content[0].text).toBe('still here');
  });

  it('logs why, at warn, with the server, the method and the upstream\'s address', async () => {
    const line = (await hub.proc.waitForLine(new RegExp(`[^\\n]*Upstream call failed[^\\n]*"server":"${server}"[^\\n]*`)))[0];
    const rec = JSON.parse(line.slice(line.indexOf('{')));
    expect(rec).toMatchObject({ level: 'warn', server, method: 'tools/call', code: 'ERR_UPSTREAM_ERROR' });
    expect(rec.address).toMatch(server === 'stdio' ? /^stdio:/ : /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(rec.reason).toMatch(/too large/);
  });

  it('neither restarts nor reconnects the upstream, nor opens its breaker', async () => {
    const h = await health();
    expect(h.upstreams.find((u) => u.id === server)).toMatchObject({ state: 'ready', restarts: 0 });
    expect(h.circuitBreakers.servers[server]!.state).toBe('closed');
  });
});

describe('a hostile upstream', () => {
  it('a JSON body far past the bound is cut off: the call fails, the next one works', async () => {
    const r = await call('hostile_huge_json', { mb: 64 });
    expectTooLarge(answerOf(r), 'hostile');
    expect(answerOf(await call('hostile_echo', { text: 'after' })).result.content[0].text).toBe('after');
  });

  it('one SSE event far past the bound is cut off', async () => {
    const r = await call('hostile_huge_event', { mb: 16 });
    expectTooLarge(answerOf(r), 'hostile');
    expect(answerOf(await call('hostile_echo', { text: 'again' })).result.content[0].text).toBe('again');
  });

  it('an answer full of requests to the client is answered only up to a bound, not one POST each', async () => {
    const r = await call('hostile_fanout', { n: 5000 });
    expect(answerOf(r).result.content[0].text).toBe('fanned out');
    const count = Number(answerOf(await call('hostile_answers')).result.content[0].text);
    expect(count).toBeLessThanOrEqual(16);
  });

  it('many small events within the bound are read to the answer', async () => {
    const r = await call('hostile_many_events', { n: 2000 });
    expect(answerOf(r).result.content[0].text).toBe('done');
  });

  it('an answer broken off mid-stream fails the call and never the hub', async () => {
    for (const tool of ['cut_sse', 'cut_json', 'bad_chunk']) {
      const r = await call(`victim_${tool}`);
      expect(r.status).toBeGreaterThanOrEqual(200);
      expect(answerOf(r).error.data.code).toMatch(/^ERR_UPSTREAM_(UNAVAILABLE|ERROR)$/);
      expect(answerOf(await call('stdio_echo', { text: tool })).result.content[0].text).toBe(tool);
    }
    const dying = call('victim_exit_mid');
    expect(await hostileVictim.waitForExit(15000)).toBe(7);
    expect(answerOf(await dying).error.data.code).toMatch(/^ERR_UPSTREAM_(UNAVAILABLE|ERROR)$/);
    expect(answerOf(await call('stdio_echo', { text: 'alive' })).result.content[0].text).toBe('alive');
    expect(hub.proc.output()).not.toMatch(/Uncaught|RangeError|unhandled/i);
  });
});

describe('a hostile stdio upstream', () => {
  it('an oversized line that answers nothing and has no valid id is dropped; the hub goes on', async () => {
    expect(answerOf(await call('evil_bad_line', { bytes: 2 * MiB })).result.content[0].text).toBe('sent');
    // The bad line arrives while this call waits; its answer still comes back whole.
    expect(answerOf(await call('evil_wait', { ms: 300 })).result.content[0].text).toBe('waited');
    expect(answerOf(await call('stdio_echo', { text: 'alive' })).result.content[0].text).toBe('alive');
    expect(hub.proc.output()).not.toMatch(/Uncaught|SyntaxError: Bad escaped/);
  });
});

afterAll(async () => {
  await hub?.stop();
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
});
