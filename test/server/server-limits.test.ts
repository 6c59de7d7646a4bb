// Server limits against the real hub process: connection caps per address
// and overall, and the timeouts that close slow clients (slowloris). Sockets
// come from chosen loopback addresses (127.0.0.2 floods, 127.0.0.3 is the
// bystander who must still be served). SSE GET streams are long-lived
// responses: no timeout cuts them.
import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

interface Slow {
  socket: net.Socket;
  closed: Promise<string>;
  isClosed(): boolean;
}

/** A socket from `localAddress` that sends `first` and then nothing; `closed` resolves with what the server sent. */
function slowSocket(port: number, localAddress: string, first = 'GET /health HTTP/1.1\r\nHost: hub\r\n'): Promise<Slow> {
  return new Promise((resolve, reject) => {
    let received = '';
    let closed = false;
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const done = new Promise<string>((r) => socket.once('close', () => ((closed = true), r(received))));
    socket.on('data', (b) => (received += b.toString('latin1')));
    socket.on('error', () => undefined); // a reset is a close for these tests
    socket.once('connect', () => {
      if (first !== '') socket.write(first);
      resolve({ socket, closed: done, isClosed: () => closed });
    });
    socket.once('error', reject);
  });
}

/** Resolves with 'closed', or 'still open' after `ms`: a bound on waiting, never a timing assertion. */
function closedWithin(s: Slow, ms: number): Promise<'closed' | 'still open'> {
  return Promise.race([s.closed.then(() => 'closed' as const), new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms).unref())]);
}

const portOf = (hub: HubProcess) => Number(new URL(hub.url).port);

describe('connection caps (http.maxConnectionsPerIp, http.maxConnections)', () => {
  let hub: HubProcess;
  const held: Slow[] = [];

  beforeAll(async () => {
    // Long timeouts: here only the caps may close anything.
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      http: { maxConnectionsPerIp: 20, maxConnections: 30, headersTimeoutMs: 120000, requestTimeoutMs: 120000, idleTimeoutMs: 120000 },
    });
  });
  afterAll(async () => {
    for (const s of held) s.socket.destroy();
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  });

  it('one address holds at most maxConnectionsPerIp sockets: the next is closed on accept, others are still served', async () => {
    for (let i = 0; i < 20; i++) held.push(await slowSocket(portOf(hub), '127.0.0.2'));
    const excess = await slowSocket(portOf(hub), '127.0.0.2');
    expect(await closedWithin(excess, 10000)).toBe('closed');
    expect(await excess.closed).toBe(''); // closed before anything was read or answered
    await hub.proc.waitForLine(/^(?=.*"message":"connection refused: limit reached")(?=.*"limit":"http\.maxConnectionsPerIp")(?=.*"ip":"127\.0\.0\.2").*$/m);
    // A full request from the flooding address is refused too ...
    await expect(rawRequest(`${hub.url}/health`, { method: 'GET', localAddress: '127.0.0.2' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    // ... while another address is answered, and MCP works for it.
    const health = await rawRequest(`${hub.url}/health`, { method: 'GET', localAddress: '127.0.0.3' });
    expect(health.status).toBe(200);
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3' });
    expect(init.status).toBe(200);
    // The held sockets were not touched.
    expect(held.filter((s) => s.isClosed())).toEqual([]);
  });

  it('a socket given back frees a place for that address', async () => {
    held.pop()!.socket.destroy();
    let res: { status: number } | undefined;
    for (let i = 0; i < 100 && res === undefined; i++) {
      // The hub counts the close when it sees it: retry until it has (no timing asserted).
      res = await rawRequest(`${hub.url}/health`, { method: 'GET', localAddress: '127.0.0.2' }).catch(() => undefined);
      if (res === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(res?.status).toBe(200);
  });

  it('all addresses together hold at most maxConnections', async () => {
    // Each probe sends a whole request on a kept-alive socket: answered (it holds a place) or closed on accept.
    const probes: Slow[] = [];
    try {
      let refused = false;
      for (let i = 0; i < 40 && !refused; i++) {
        const s = await slowSocket(portOf(hub), '127.0.0.4', 'GET /health HTTP/1.1\r\nHost: hub\r\n\r\n');
        probes.push(s);
        refused = (await Promise.race([s.closed.then(() => 'closed'), new Promise((r) => s.socket.once('data', () => r('answered')))])) === 'closed';
      }
      expect(refused).toBe(true);
      // 127.0.0.4 is far under its own cap of 20: the global cap of 30 refused it.
      expect(probes.length).toBeLessThanOrEqual(12);
      await hub.proc.waitForLine(/"limit":"http\.maxConnections"/);
      expect(held.filter((s) => s.isClosed())).toEqual([]);
    } finally {
      for (const s of probes) s.socket.destroy();
    }
  });
});

describe('timeouts (http.headersTimeoutMs, requestTimeoutMs, idleTimeoutMs)', () => {
  let hub: HubProcess;

  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, idleTimeoutMs: 1500, keepAliveTimeoutMs: 1000 },
    });
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  });

  it('a socket that never finishes its headers is closed', async () => {
    const s = await slowSocket(portOf(hub), '127.0.0.2');
    expect(await closedWithin(s, 15000)).toBe('closed');
  });

  it('a socket that sends nothing at all is closed', async () => {
    const s = await slowSocket(portOf(hub), '127.0.0.2', '');
    expect(await closedWithin(s, 15000)).toBe('closed');
  });

  it('a body trickled byte by byte is cut at requestTimeoutMs with 408', async () => {
    const s = await slowSocket(portOf(hub), '127.0.0.2', 'POST /mcp HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{');
    const drip = setInterval(() => s.socket.write(' '), 200);
    try {
      expect(await closedWithin(s, 15000)).toBe('closed');
      expect(await s.closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it('an SSE GET stream outlives every timeout; requests from elsewhere are served meanwhile', async () => {
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3' });
    const sid = String(init.headers['mcp-session-id']);
    await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', method: 'notifications/initialized' }, headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, localAddress: '127.0.0.3' });
    let ended = false;
    const get = http.request(hub.mcpUrl, { method: 'GET', localAddress: '127.0.0.3', agent: false, headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
    get.on('response', (res) => {
      res.resume();
      res.on('end', () => (ended = true));
    });
    get.on('close', () => (ended = true));
    get.on('error', () => (ended = true));
    get.end();
    try {
      // Let every timeout pass for the stream: a trickled body opened after it is cut at requestTimeoutMs ...
      const s = await slowSocket(portOf(hub), '127.0.0.2', 'POST /mcp HTTP/1.1\r\nHost: hub\r\nContent-Length: 1000\r\n\r\n{');
      const drip = setInterval(() => s.socket.write(' '), 200);
      await s.closed;
      clearInterval(drip);
      // ... and a silent socket opened after that is cut at its idle/headers timeout.
      await (await slowSocket(portOf(hub), '127.0.0.2', '')).closed;
      expect(ended).toBe(false);
      // The session behind the stream still answers.
      const ping = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 9, method: 'ping' }, headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, localAddress: '127.0.0.3' });
      expect({ status: ping.status, result: ping.json?.result }).toEqual({ status: 200, result: {} });
    } finally {
      get.destroy();
    }
  });
});

describe('config validation of the limits', () => {
  it.each([
    [{ headersTimeoutMs: 20000, requestTimeoutMs: 10000 }, 'http.headersTimeoutMs (20000) must not exceed http.requestTimeoutMs (10000)'],
    [{ headersTimeoutMs: 40000 }, 'http.headersTimeoutMs (40000) must not exceed http.requestTimeoutMs (30000)'],
    [{ maxConnections: 10, maxConnectionsPerIp: 64 }, 'http.maxConnectionsPerIp (64) must not exceed http.maxConnections (10)'],
    [{ idleTimeoutMs: 10 }, '/http/idleTimeoutMs: must be >= 1000'],
  ])('refuses %j with one line naming the keys', async (limits, line) => {
    const { dir, file } = writeConfig({ mcpServers: {}, http: limits });
    try {
      const { code, output } = await runHatago(['config', 'validate', '--config', file]);
      expect(code).toBe(1);
      expect(output).toContain(`\\x0a  ${line}`); // one CLI line: the message's breaks are escaped
      expect(output).toContain('[ERR_CONFIG_INVALID]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts the documented defaults written out, and 0 for no cap', async () => {
    const { dir, file } = writeConfig({ mcpServers: {}, http: { maxConnections: 0, maxConnectionsPerIp: 0, headersTimeoutMs: 10000, requestTimeoutMs: 30000, keepAliveTimeoutMs: 5000, idleTimeoutMs: 30000 } });
    try {
      expect(await runHatago(['config', 'validate', '--config', file])).toEqual({ code: 0, output: `ok: ${file}\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
