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

async function serve(): Promise<Served> {
  const outcomes: Served['outcomes'] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
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
beforeEach(async () => {
  s = await serve();
});
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
