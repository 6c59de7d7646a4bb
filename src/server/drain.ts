// Graceful drain (SIGTERM, docs/deploy.md). Readiness turns false first
// while liveness stays true; from then on work that could go to another
// replica is refused with 503 ERR_DRAINING and `Connection: close` (nginx
// retries it on the next peer, a Kubernetes Service stops routing here), and
// requests already in flight, or on a session this replica holds, run to
// their end, bounded by the drain timeout. GET streams are not "in flight":
// they are ended cleanly when the drain is over.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HatagoError } from '../errors/index.js';
import { writeHttpError } from '../http/respond.js';
import type { Logger } from '../log/logger.js';

export const DEFAULT_DRAIN_TIMEOUT_MS = 15_000;

const PROBES = new Set(['/health', '/health/ready']);

export interface DrainOptions {
  /** The session id belongs to a session this replica holds (it cannot be served elsewhere yet). */
  hasSession: (id: string) => boolean;
  logger: Logger;
}

export class Drain {
  private inFlight = 0;
  private started = false;
  private idle: (() => void) | undefined;

  constructor(private readonly opts: DrainOptions) {}

  get draining(): boolean {
    return this.started;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Express-style middleware, first in the chain: counts requests, refuses new work once draining. */
  readonly track = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = (req.url ?? '').split('?', 1)[0] ?? '';
    if (PROBES.has(url)) return next(); // liveness stays true; readiness reads `draining`
    const sid = req.headers['mcp-session-id'];
    const held = typeof sid === 'string' && this.opts.hasSession(sid);
    if (this.started) {
      res.setHeader('Connection', 'close');
      if (!held) return writeHttpError(res, new HatagoError('ERR_DRAINING', { data: { retryAfter: 1 } }));
    }
    // A GET /mcp stream lasts as long as the session: ended at the end of the drain, never waited for.
    if (req.method === 'GET' && url === '/mcp') return next();
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    });
    next();
  };

  /** Starts draining; resolves once nothing is in flight or after `timeoutMs` (true: drained, false: timed out). */
  async drain(timeoutMs: number): Promise<boolean> {
    this.started = true;
    this.opts.logger.info('draining: readiness is false, new work is refused', { component: 'hub', inFlight: this.inFlight, timeoutMs });
    if (this.inFlight === 0) return true;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.idle = undefined;
    if (!drained) this.opts.logger.warn('drain timeout: closing with requests still in flight', { component: 'hub', inFlight: this.inFlight, timeoutMs });
    return drained;
  }
}
