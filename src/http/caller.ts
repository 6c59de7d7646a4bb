import type { IncomingMessage } from 'node:http';
import type { CallerContext } from '../hub/types.js';
import type { HttpExchange } from '../pipeline/http-exchange.js';
import type { Stage } from '../pipeline/stage.js';
import { plainIp, requestHeader as header } from '../util/incoming-request.js';

/** What the HTTP stages (network + authentication) establish before /mcp handling. */
export type CallerBase = Pick<CallerContext, 'client' | 'principal' | 'trace'>;

/** Socket address without the IPv4-mapped prefix. */
export function socketIp(req: IncomingMessage): string | null {
  const a = req.socket.remoteAddress;
  return a ? plainIp(a) : null;
}

/**
 * The network and authentication stages of an app built without a policy
 * (tests, embedding): the socket's address, an anonymous caller.
 */
export const ANONYMOUS_STAGES: readonly Stage<HttpExchange>[] = [
  {
    name: 'network',
    scope: 'http',
    does: 'the socket address, no policy',
    fails: [],
    run(x) {
      x.client = { ip: socketIp(x.req), origin: header(x.req, 'origin'), userAgent: header(x.req, 'user-agent') };
    },
  },
  { name: 'authentication', scope: 'http', does: 'anonymous', fails: [], run: (x) => void (x.principal = null) },
];
