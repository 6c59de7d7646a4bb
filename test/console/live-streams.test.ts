// The console's two memory bounds, on real sockets and real decision
// events: a stream whose client stops reading is closed once its queue is
// full (the hub keeps no unbounded backlog), and the decision feed keeps at
// most console.maxDecisions records.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DecisionFeed } from '../../src/console/decision-feed.js';
import { LiveStreams } from '../../src/console/live-streams.js';
import { createSanitizer } from '../../src/log/sanitizer.js';
import type { DecisionEvent } from '../../src/pipeline/policy/policy-guard.js';

const until = async (what: string, probe: () => boolean, ms = 10000) => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('LiveStreams', () => {
  it('closes a stream whose client stops reading once `queue` events wait, and keeps serving the others', async () => {
    const streams = new LiveStreams({ max: 4, queue: 5, heartbeatMs: 60000 });
    const server = http.createServer((_req, res) => streams.accept(res, { check: async () => null }, {}, { hello: true }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const open = () => new Promise<http.IncomingMessage>((resolve) => http.get({ port, host: '127.0.0.1', path: '/' }, resolve));
    const slow = await open();
    slow.pause(); // reads nothing more: the socket fills, then the queue
    const fast = await open();
    let fastBytes = 0;
    fast.on('data', (c: Buffer) => (fastBytes += c.length));
    try {
      await until('two streams', () => streams.open === 2);
      const big = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 400 && streams.status().closedSlow === 0; i++) {
        streams.broadcast('decision', { big });
        await new Promise((r) => setImmediate(r));
      }
      expect(streams.status()).toEqual({ open: 1, max: 4, closedSlow: 1 });
      await until('the reader got what was sent', () => fastBytes > 64 * 1024 * 10);
    } finally {
      streams.closeAll();
      slow.destroy();
      fast.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses the stream over `max` with 429 ERR_CONSOLE_STREAM_LIMIT', async () => {
    const streams = new LiveStreams({ max: 1, queue: 5, heartbeatMs: 60000 });
    const fakeOwner = { check: async () => null };
    const server = http.createServer((_req, res) => {
      try {
        streams.accept(res, fakeOwner, {}, {});
      } catch (err) {
        res.writeHead(429).end((err as { code: string }).code);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const first = await new Promise<http.IncomingMessage>((resolve) => http.get({ port, host: '127.0.0.1', path: '/' }, resolve));
    const second = await new Promise<http.IncomingMessage>((resolve) => http.get({ port, host: '127.0.0.1', path: '/' }, resolve));
    let body = '';
    second.on('data', (c: Buffer) => (body += c.toString()));
    await new Promise((r) => second.on('end', r));
    expect({ status: second.statusCode, body }).toEqual({ status: 429, body: 'ERR_CONSOLE_STREAM_LIMIT' });
    streams.closeAll();
    first.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
});

describe('DecisionFeed', () => {
  const event = (i: number, allow: boolean): DecisionEvent => ({
    decisionId: `d-${i}`,
    revision: 'r1',
    timestamp: new Date().toISOString(),
    input: { stage: 'request', principal: { sub: `u-${i}`, claims: { email: 'a@example.com', sub: `u-${i}` } }, request: { method: 'tools/call', server: 'fx', name: 'echo', arguments: { password: 'hunter2' } } },
    result: { allow, ...(!allow && { code: 'ERR_PERMISSION_DENIED' }), reasons: allow ? [] : [{ rule: 'rbac.missing_permission', message: 'no' }] },
  });

  it('keeps the newest `max` decisions, masked, and forgets older ones', async () => {
    const feed = new DecisionFeed({ max: 3, maxInputBytes: 65536, sanitize: createSanitizer().value });
    for (let i = 1; i <= 5; i++) {
      feed.record(event(i, i % 2 === 0));
      await new Promise((r) => setImmediate(r));
    }
    expect(feed.status()).toEqual({ kept: 3, max: 3, dropped: 0 });
    expect(feed.list({}, 10).map((d) => d.id)).toEqual(['d-5', 'd-4', 'd-3']);
    expect(feed.get('d-1')).toBeUndefined();
    expect(feed.list({ outcome: 'deny' }, 10).map((d) => d.id)).toEqual(['d-5', 'd-3']);
    const kept = feed.get('d-5')!;
    expect(JSON.stringify(kept.input)).not.toMatch(/hunter2|a@example\.com/);
    expect(feed.replayEntries().map((e) => e.decisionId)).toEqual(['d-3', 'd-4', 'd-5']);
  });

  it('lists a decision whose masked input is over maxInputBytes without its input', async () => {
    const feed = new DecisionFeed({ max: 3, maxInputBytes: 100, sanitize: createSanitizer().value });
    feed.record(event(1, false));
    await new Promise((r) => setImmediate(r));
    expect(feed.get('d-1')).toMatchObject({ input: null, inputBytes: expect.any(Number) });
    expect(feed.get('d-1')!.inputBytes).toBeGreaterThan(100);
    expect(feed.replayEntries()).toEqual([]);
  });
});
