// Receivers a SIEM would run, started by the tests on free ports: a syslog
// listener over TCP or TLS that parses RFC 6587 octet-counted frames of RFC
// 5424 messages, and an HTTP endpoint taking newline-delimited JSON. Each can
// be stopped (an outage: the listener closes and drops its connections) and
// started again on the same port (recovery).
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface SyslogMessage {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  msg: string;
}

// RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG]; SD is "-" or bracketed elements.
const RFC5424 = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[[^\]]*\])+)(?: ([\s\S]*))?$/;

export function parseRfc5424(text: string): SyslogMessage {
  const m = RFC5424.exec(text);
  if (!m) throw new Error(`not an RFC 5424 message: ${text.slice(0, 200)}`);
  return {
    pri: Number(m[1]), version: Number(m[2]), timestamp: m[3]!, hostname: m[4]!, appName: m[5]!, procId: m[6]!, msgId: m[7]!,
    structuredData: m[8]!, msg: m[9] ?? '',
  };
}

/** Splits `MSG-LEN SP SYSLOG-MSG` frames off a byte stream; a frame that is not well-formed fails the test. */
class OctetCountedParser {
  private buf = Buffer.alloc(0);
  constructor(private readonly onFrame: (msg: string) => void, private readonly onError: (err: Error) => void) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const sp = this.buf.indexOf(0x20);
      if (sp < 0) return;
      const lenText = this.buf.subarray(0, sp).toString('ascii');
      if (!/^[1-9]\d{0,8}$/.test(lenText)) {
        this.onError(new Error(`bad octet count ${JSON.stringify(lenText)}`));
        this.buf = Buffer.alloc(0);
        return;
      }
      const len = Number(lenText);
      if (this.buf.length < sp + 1 + len) return;
      this.onFrame(this.buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(sp + 1 + len);
    }
  }
}

export interface SyslogReceiver {
  port: number;
  messages: SyslogMessage[];
  errors: Error[];
  /** Connections accepted so far. */
  connections: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSyslogReceiver(opts: { tls?: { cert: string; key: string }; port?: number } = {}): Promise<SyslogReceiver> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const r: SyslogReceiver = {
    port: opts.port ?? 0,
    messages: [],
    errors: [],
    connections: 0,
    async start() {
      const onSocket = (socket: Socket) => {
        r.connections++;
        sockets.add(socket);
        const parser = new OctetCountedParser((text) => {
          try {
            r.messages.push(parseRfc5424(text));
          } catch (err) {
            r.errors.push(err as Error);
          }
        }, (err) => r.errors.push(err));
        socket.on('data', (chunk: Buffer) => parser.push(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      };
      const srv = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, onSocket) : createNetServer(onSocket);
      srv.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(r.port, '127.0.0.1', () => resolve());
      });
      const addr = srv.address();
      r.port = typeof addr === 'object' && addr ? addr.port : r.port;
      server = srv;
    },
    async stop() {
      const srv = server;
      server = null;
      if (!srv) return;
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
  await r.start();
  return r;
}

export interface HttpReceiver {
  url: string;
  /** Every line POSTed, in arrival order. */
  lines: string[];
  /** Each request: its headers and how many lines it carried. */
  requests: { headers: IncomingMessage['headers']; lines: number; status: number }[];
  /** While set, every POST is answered with it (and its lines are not kept): an outage the hub sees as an error answer. */
  failWith: number | null;
  /** While set, POSTs get no answer at all (their lines are not kept): a SIEM that hangs. */
  hang: boolean;
  stop(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const r: HttpReceiver = { url: '', lines: [], requests: [], failWith: null, hang: false, stop: async () => undefined };
  const server: HttpServer = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (r.hang) return; // closed by the hub's timeout, or by stop()
      const body = Buffer.concat(chunks).toString('utf8');
      const lines = body.split('\n');
      const last = lines.pop();
      const status = r.failWith ?? (req.method === 'POST' && last === '' ? 204 : 400);
      r.requests.push({ headers: req.headers, lines: lines.length, status });
      if (status === 204) r.lines.push(...lines);
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  r.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/ingest`;
  r.stop = () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  return r;
}
