// A decision-log service as OPA's decision_logs plugin expects one: takes
// POSTs of gzipped JSON arrays, gunzips them and keeps every array it
// accepted. Its answer is switchable: `ok` (204), `fail` (503: the service is
// down), `reject` (400: a request it will never take), or `hold` (the request
// is left open until release(): a slow service). Over https with a test certificate when given one.
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface OpaEvent {
  labels: Record<string, string>;
  decision_id: string;
  revision: string;
  bundles: Record<string, { revision: string }>;
  path: string;
  input: Record<string, unknown>;
  result: { allow: boolean; code?: string; reasons: { rule: string; message: string }[]; visible?: string[] };
  requested_by?: string;
  timestamp: string;
}

export interface ReceivedPost {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The gunzipped body. */
  json: string;
  events: OpaEvent[];
}

export type ReceiverMode = 'ok' | 'fail' | 'reject' | 'hold';

export interface LogReceiver {
  url: string;
  port: number;
  /** Accepted arrays, in arrival order. */
  readonly accepted: ReceivedPost[];
  /** Every POST that arrived, accepted or not (a held one counts when it arrives). */
  readonly arrivals: ReceivedPost[];
  mode: ReceiverMode;
  /** Every accepted event, in order. */
  events(): OpaEvent[];
  /** Resolves when check() holds, tested at every arrival. */
  until(check: () => boolean, timeoutMs?: number): Promise<void>;
  /** Answers the held requests (accepting them) and sets mode to `ok`. */
  release(): void;
  close(): Promise<void>;
}

export async function startLogReceiver(opts: { port?: number; tls?: { cert: string; key: string }; mode?: ReceiverMode } = {}): Promise<LogReceiver> {
  const accepted: ReceivedPost[] = [];
  const arrivals: ReceivedPost[] = [];
  const held: { post: ReceivedPost; res: ServerResponse }[] = [];
  const waiters = new Set<() => void>();
  const notify = () => { for (const w of [...waiters]) w(); };
  const accept = (post: ReceivedPost, res: ServerResponse) => {
    accepted.push(post);
    res.writeHead(204).end();
    notify();
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const json = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      const post: ReceivedPost = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, json, events: JSON.parse(json) as OpaEvent[] };
      arrivals.push(post);
      if (receiver.mode === 'ok') accept(post, res);
      else if (receiver.mode === 'fail' || receiver.mode === 'reject') {
        res.writeHead(receiver.mode === 'fail' ? 503 : 400).end();
        notify();
      } else {
        held.push({ post, res });
        notify();
      }
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const receiver: LogReceiver = {
    url: `${opts.tls ? 'https' : 'http'}://${opts.tls ? 'localhost' : '127.0.0.1'}:${port}`,
    port,
    accepted,
    arrivals,
    mode: opts.mode ?? 'ok',
    events: () => accepted.flatMap((p) => p.events),
    until(check, timeoutMs = 20000) {
      return new Promise<void>((resolve, reject) => {
        const test = () => {
          if (!check()) return;
          waiters.delete(test);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(test);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${arrivals.length} arrivals, ${accepted.length} accepted)`));
        }, timeoutMs);
        waiters.add(test);
        test();
      });
    },
    release() {
      receiver.mode = 'ok';
      for (const h of held.splice(0)) accept(h.post, h.res);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of held.splice(0)) h.res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}
