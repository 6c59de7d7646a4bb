// Connection caps and the idle timeout of the HTTP server: a client that
// opens hundreds of sockets and sends nothing (slowloris) holds at most
// `maxConnectionsPerIp` of them, everyone together `maxConnections`, and each
// socket without a request in progress is closed after `idleTimeoutMs`.
// Sockets over a cap are closed on accept, before any byte is read (and
// before a TLS handshake). Limits, not decisions: the policy never sees a
// connection, only requests (docs/server-limits.md).

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { ServerLimits } from '../config/server-limits.js';
import type { Logger } from '../log/logger.js';
import { plainIp } from '../util/incoming-request.js';

/** At most one refusal line per limit per this many ms: a flood must not flood the log. */
const LOG_EVERY_MS = 10_000;

/** Requests in progress on one socket; while there are none, the idle timer runs. */
class IdleWatch {
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ms: number,
  ) {
    this.arm();
    socket.once('close', () => clearTimeout(this.timer));
  }

  begin(): void {
    this.inFlight++;
    clearTimeout(this.timer);
  }

  end(): void {
    if (--this.inFlight === 0) this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.socket.destroy(), this.ms);
    this.timer.unref();
  }
}

export function limitConnections(server: Server, limits: ServerLimits, logger?: Logger): void {
  const perIp = new Map<string, number>();
  let open = 0;
  const refused = { maxConnections: 0, maxConnectionsPerIp: 0 };
  const lastLog = { maxConnections: 0, maxConnectionsPerIp: 0 };
  const log = logger?.child({ component: 'http-server' });

  const refuse = (socket: Socket, ip: string, limit: 'maxConnections' | 'maxConnectionsPerIp') => {
    refused[limit]++;
    socket.destroy();
    const now = Date.now();
    if (now - lastLog[limit] < LOG_EVERY_MS) return;
    lastLog[limit] = now;
    log?.warn('connection refused: limit reached', { limit: `http.${limit}`, ip, open, refusedSinceLastLine: refused[limit] });
    refused[limit] = 0;
  };

  server.on('connection', (socket: Socket) => {
    const ip = plainIp(socket.remoteAddress ?? '') || 'unknown';
    const mine = perIp.get(ip) ?? 0;
    if (limits.maxConnections > 0 && open >= limits.maxConnections) return refuse(socket, ip, 'maxConnections');
    if (limits.maxConnectionsPerIp > 0 && mine >= limits.maxConnectionsPerIp) return refuse(socket, ip, 'maxConnectionsPerIp');
    open++;
    perIp.set(ip, mine + 1);
    socket.once('close', () => {
      open--;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left === 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  });

  // The idle timer watches the socket the requests arrive on (the TLS socket over HTTPS).
  const watches = new WeakMap<Socket, IdleWatch>();
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (!socket.destroyed) watches.set(socket, new IdleWatch(socket, limits.idleTimeoutMs));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const watch = watches.get(req.socket);
    if (!watch) return;
    watch.begin();
    // 'close' fires once per response, finished or aborted; a long SSE stream is in progress until then.
    res.once('close', () => watch.end());
  });
}
