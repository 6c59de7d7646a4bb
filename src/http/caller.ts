import type { IncomingMessage } from 'node:http';
import type { CallerContext } from '../hub/types.js';
import { plainIp, requestHeader as header } from '../util/incoming-request.js';

/** What the HTTP pipeline (network + authentication stages) establishes before /mcp handling. */
export type CallerBase = Pick<CallerContext, 'client' | 'principal'>;

/** Runs the HTTP-scope stages; throws HatagoError to end the exchange. */
export type HttpPipeline = (req: IncomingMessage) => Promise<CallerBase>;

/** Socket address without the IPv4-mapped prefix. */
export function socketIp(req: IncomingMessage): string | null {
  const a = req.socket.remoteAddress;
  return a ? plainIp(a) : null;
}

/** The default pipeline: no network rules, no authentication, an anonymous caller. */
export const anonymousPipeline: HttpPipeline = async (req) => ({
  client: { ip: socketIp(req), origin: header(req, 'origin'), userAgent: header(req, 'user-agent') },
  principal: null,
});
