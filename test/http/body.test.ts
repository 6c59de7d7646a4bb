// readJsonBody against a real node:http server and client: bounded while
// reading, a 413 that reaches the client, and a client that keeps sending
// past the bound loses its connection instead of being read forever.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonBody } from '../../src/http/body.js';
import { isHatagoError } from '../../src/errors/index.js';

const MAX = 4096;

interface Served {
  url: URL;
  /** What each request's read ended with, and the bytes the server took in. */
  outcomes: { result: string; received: number; closed?: Promise<number> }[];
  close(): Promise<void>;
}

/** `afterGone`: the read starts only once the client's connection closed (it left during earlier stages). */
async function serve(opts: { afterGone?: boolean } = {}): Promise<Served> {
  const outcomes: Served['outcomes'] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    if (opts.afterGone) {
      // After the request's own close: every event of the request has been emitted before the read starts.
      req.once('close', () => {
        readJsonBody(req, MAX).then(
          () => outcomes.push({ result: 'ok', received: 0 }),
          (err: unknown) => outcomes.push({ result: isHatagoError(err) ? err.code : String((err as { code?: unknown }).code ?? err), received: 0 }),
        );
      });
      return;
    }
    let received = 0;
    req.on('data', (c: Buffer) => (received += c.length));
    readJsonBody(req, MAX).then(
      (body) => {
        outcomes.push({ result: `ok ${JSON.stringify(body).length}`, received });
        res.end('ok');
      },
      (err: unknown) => {
        // What the server took in once the connection is done with.
        const closed = new Promise<number>((r) => (req.socket.destroyed ? r(received) : req.socket.once('close', () => r(received))));
        outcomes.push({ result: isHatagoError(err) ? err.code : String(err), received, closed });
        if (!res.destroyed) {
          res.writeHead(413);
          res.end('too large');
        }
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    outcomes,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let s: Served;
afterEach(async () => {
  await s.close();
});

function send(body: string | null, opts: { chunked?: boolean } = {}): Promise<{ status: number | string; req: http.ClientRequest }> {
  return new Promise((resolve) => {
    const req = http.request(s.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (c: Buffer) => (t += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, req }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, req }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: e.code ?? 'error', req }));
    if (body !== null) {
      req.end(body);
    } else if (opts.chunked) {
      // Writes 1 KiB chunks until the server stops taking them.
      const chunk = 'x'.repeat(1024);
      const pump = () => {
        if (req.destroyed) return;
        while (req.write(chunk)) if (req.destroyed) return;
        req.once('drain', pump);
      };
      req.write('{"pad":"');
      pump();
    }
  });
}

describe('a reader started while the client is there', () => {
  beforeEach(async () => {
    s = await serve();
  });

  test('a body within the bound is parsed', async () => {
    const r = await send(JSON.stringify({ a: 'x'.repeat(1000) }));
    expect(r.status).toBe(200);
    expect(s.outcomes[0]!.result).toBe('ok 1008');
  });

  test('a whole body past the bound: 413 ERR_BODY_TOO_LARGE reaches the client', async () => {
    const r = await send(JSON.stringify({ a: 'x'.repeat(MAX + 100) }));
    expect(r.status).toBe(413);
    expect(s.outcomes[0]!.result).toBe('ERR_BODY_TOO_LARGE');
  });

  test('a client that keeps sending past the bound is cut off after about twice the bound', async () => {
    const r = await send(null, { chunked: true });
    expect(s.outcomes[0]!.result).toBe('ERR_BODY_TOO_LARGE');
    // The client saw its 413 or its connection go; it was not read on and on.
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(r.status);
    // Bytes taken in until the server closed the connection: the bound twice over, plus what one socket read can hold.
    expect(await s.outcomes[0]!.closed).toBeLessThan(2 * MAX + 70_000);
    r.req.destroy();
  });
});

test.each([
  ['part of its body', '{"pad":"xx'],
  ['its whole body', '{"pad":"xx"}'],
])('a client that sent %s and left before the read began: the read fails at once (premature close)', async (_what, sent) => {
  s = await serve({ afterGone: true });
  const req = http.request(s.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } });
  req.on('error', () => undefined);
  req.write(sent, () => req.destroy());
  const deadline = Date.now() + 5000;
  while (s.outcomes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(s.outcomes).toEqual([{ result: 'ERR_STREAM_PREMATURE_CLOSE', received: 0 }]);
});
