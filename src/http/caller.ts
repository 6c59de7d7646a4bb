import type { IncomingMessage } from 'node:http';
import type { CallerContext } from '../hub/types.js';

/** What the HTTP pipeline (network + authentication stages) establishes before /mcp handling. */
export type CallerBase = Pick<CallerContext, 'client' | 'principal'>;

/** Runs the HTTP-scope stages; throws HatagoError to end the exchange. */
export type HttpPipeline = (req: IncomingMessage) => Promise<CallerBase>;

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

/** Socket address without the IPv4-mapped prefix. */
export function socketIp(req: IncomingMessage): string | null {
  const a = req.socket.remoteAddress;
  if (!a) return null;
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The default pipeline: no network rules, no authentication, an anonymous caller. */
export const anonymousPipeline: HttpPipeline = async (req) => ({
  client: { ip: socketIp(req), origin: header(req, 'origin'), userAgent: header(req, 'user-agent') },
  principal: null,
});
