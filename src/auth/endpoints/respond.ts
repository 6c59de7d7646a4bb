// Answers of the token endpoints: plain JSON, not JSON-RPC (they are not MCP).
// Errors are {"error": {"code", "message"}} with the code's status and
// generic message; a 401 carries the Bearer challenge.

import type { ServerResponse } from 'node:http';
import { HatagoError } from '../../errors/index.js';
import { retryAfterHeader } from '../../http/respond.js';
import { wwwAuthenticate } from '../www-authenticate.js';

export interface TokenResponse {
  token: string;
  /** Lifetime as the guide writes it: "24h", "30m", "45s". */
  expiresIn: string;
  tokenType: 'Bearer';
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  // RFC 6749 §5.1: responses that carry tokens must not be cached.
  res.writeHead(status, {
    ...(body !== undefined && { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }),
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    ...headers,
  });
  res.end(text);
}

export function sendToken(res: ServerResponse, body: TokenResponse): void {
  send(res, 200, body, {});
}

export function sendNoContent(res: ServerResponse): void {
  send(res, 204, undefined, {});
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return;
  const e = err instanceof HatagoError ? err : new HatagoError('ERR_INTERNAL');
  const { decisionId, blockedUntil } = e.data ?? {};
  const body = { error: { code: e.code, message: e.message, ...(typeof decisionId === 'string' && { decisionId }), ...(typeof blockedUntil === 'string' && { blockedUntil }) } };
  send(res, e.status, body, { ...(e.status === 401 && { 'WWW-Authenticate': wwwAuthenticate(e) }), ...retryAfterHeader(e) });
}

/** "24h" for 86400 s, "30m", "45s": the largest unit that divides the lifetime. */
export function formatLifetime(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
