import type { ServerResponse } from 'node:http';
import { challengeHeader } from '../auth/www-authenticate.js';
import { isHatagoError, toJsonRpcError, type JsonRpcId } from '../errors/index.js';

export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * An error that ends the HTTP exchange (pipeline, framing, session): the
 * status comes from the error table; a 401 (or a 403 insufficient_scope)
 * carries the Bearer challenge; an error that says when to come back
 * (`data.retryAfter`, seconds: rate limits, address blocks) carries Retry-After.
 */
export function writeHttpError(res: ServerResponse, err: unknown, id: JsonRpcId = null): void {
  const { status, body } = toJsonRpcError(err, id);
  writeJson(res, status, body, { ...challengeHeader(err, status), ...retryAfterHeader(err) });
}

export function retryAfterHeader(err: unknown): Record<string, string> {
  const after = isHatagoError(err) ? err.data?.retryAfter : undefined;
  return typeof after === 'number' && Number.isInteger(after) && after > 0 ? { 'Retry-After': String(after) } : {};
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function jsonRpcId(v: unknown): JsonRpcId {
  return typeof v === 'string' || typeof v === 'number' ? v : null;
}
