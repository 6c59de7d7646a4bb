import type { IncomingMessage } from 'node:http';

// Reading an incoming request: its headers and the peer's address.

/**
 * One request header as a string, or null when absent. Node joins repeated
 * headers into one string (only set-cookie stays a list); a list is joined
 * with commas all the same.
 */
export function requestHeader(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : null;
}

/** An address without the IPv4-mapped prefix Node may report IPv4 peers with (`::ffff:a.b.c.d`). */
export function plainIp(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
