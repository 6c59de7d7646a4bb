import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { syslogFrame, type SyslogHeader } from './syslog-format.js';

// How a batch of trail lines reaches the SIEM. send() resolves once the
// destination took the batch (syslog: the bytes were handed to the socket;
// HTTP: a 2xx answer) and rejects otherwise; the forwarder then keeps the
// batch and retries it.

export interface SiemTransport {
  readonly name: 'syslog' | 'http';
  send(lines: string[]): Promise<void>;
  close(): void;
}

export interface SyslogTarget extends SyslogHeader {
  host: string;
  port: number;
  /** TLS (RFC 5425) when set: the CA bundle to trust (PEM; default the system's) and the name to check. */
  tls?: { ca?: string; servername?: string };
  timeoutMs: number;
  /** Told when an open connection ends (the SIEM went away), so an outage shows in the log at once. */
  onLost?: (why: string) => void;
}

/**
 * One long-lived TCP (or TLS) connection, reopened on the next batch after
 * it ends. TCP syslog has no acknowledgements: bytes written just as the
 * receiver dies can be lost (docs/audit.md); a connection the receiver
 * closed is noticed at once and not written to.
 */
export class SyslogTransport implements SiemTransport {
  readonly name = 'syslog';
  private socket: Socket | null = null;

  constructor(private readonly t: SyslogTarget) {}

  async send(lines: string[]): Promise<void> {
    const frames = Buffer.concat(lines.map((l) => syslogFrame(l, this.t)));
    const socket = this.socket ?? (await this.connect());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`write timed out after ${this.t.timeoutMs} ms`));
      }, this.t.timeoutMs);
      socket.write(frames, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): Promise<Socket> {
    const { host, port, tls, timeoutMs } = this.t;
    return new Promise<Socket>((resolve, reject) => {
      const socket: Socket = tls
        ? tlsConnect({ host, port, minVersion: 'TLSv1.2', ...(tls.ca !== undefined && { ca: tls.ca }), ...(tls.servername !== undefined ? { servername: tls.servername } : isIP(host) === 0 && { servername: host }) })
        : netConnect({ host, port });
      const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.setKeepAlive(true, 30_000);
        // The receiver never speaks: anything it sends is ignored; its end or an error ends the connection.
        socket.on('data', () => undefined);
        const lost = (why: string) => {
          if (this.socket !== socket) return;
          this.socket = null;
          socket.destroy();
          this.t.onLost?.(why);
        };
        socket.on('end', () => lost('closed by the receiver'));
        socket.on('error', (err) => lost(err.message));
        socket.on('close', () => lost('closed'));
        this.socket = socket;
        resolve(socket);
      });
    });
  }
}

export interface HttpTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** POST of newline-delimited JSON (one trail line per record), one request per batch; 2xx takes it. */
export class HttpTransport implements SiemTransport {
  readonly name = 'http';

  constructor(private readonly t: HttpTarget) {}

  send(lines: string[]): Promise<void> {
    const body = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
    const url = new URL(this.t.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { ...this.t.headers, 'content-type': 'application/x-ndjson', 'content-length': String(body.length) },
        timeout: this.t.timeoutMs,
      }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`answered HTTP ${status}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.t.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {}
}
