import { isHatagoError } from '../errors/index.js';
import { isUpstreamRpcError } from '../upstreams/errors.js';
import { RESPONSE_TOO_LARGE } from '../upstreams/response-limits.js';
import type { ErrorKind } from './types.js';

// JSON-RPC codes an upstream may answer with (see src/errors/codes.ts).
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;

/**
 * The breaker's kind of a failed upstream call, or `null` when the failure
 * says nothing about the upstream's health (the caller cancelled, the hub
 * refused the call itself, the downstream client could not serve a relay).
 *
 * - ERR_UPSTREAM_TIMEOUT                      -> timeout
 * - ERR_UPSTREAM_UNAVAILABLE, transport errors -> connection
 * - ERR_UPSTREAM_ERROR, reason response_too_large -> response_too_large
 * - ERR_UPSTREAM_ERROR (malformed result)      -> protocol
 * - an HTTP 401/403 from the upstream          -> auth
 * - JSON-RPC -32602 / -32601 from the upstream -> validation
 * - JSON-RPC -32700 / -32600 from the upstream -> protocol
 * - any other JSON-RPC error from the upstream -> upstream_error
 *
 * A tool result with `isError: true` is an answer, not a failure: it never
 * reaches this function (the call resolved).
 */
export function classifyError(err: unknown): ErrorKind | null {
  if (isAbort(err)) return null;
  if (httpStatusOf(err) === 401 || httpStatusOf(err) === 403) return 'auth';
  if (isUpstreamRpcError(err)) {
    switch (err.code) {
      case INVALID_PARAMS:
      case METHOD_NOT_FOUND:
        return 'validation';
      case PARSE_ERROR:
      case INVALID_REQUEST:
        return 'protocol';
      default:
        return 'upstream_error';
    }
  }
  if (isHatagoError(err)) {
    switch (err.code) {
      case 'ERR_UPSTREAM_TIMEOUT':
        return 'timeout';
      case 'ERR_UPSTREAM_UNAVAILABLE':
        return 'connection';
      case 'ERR_UPSTREAM_ERROR':
        return (err.data as { reason?: unknown } | undefined)?.reason === RESPONSE_TOO_LARGE ? 'response_too_large' : 'protocol';
      default:
        // Raised by the hub itself (policy, params, client capability...): not the upstream's doing.
        return null;
    }
  }
  // Anything else thrown by a transport (fetch TypeError, ECONNREFUSED, EPIPE...).
  return 'connection';
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

/**
 * An HTTP status carried by the error, its `data` or its `cause`
 * (`status`, `httpStatus` or `statusCode`), if any.
 */
function httpStatusOf(err: unknown, depth = 0): number | undefined {
  if (typeof err !== 'object' || err === null || depth > 3) return undefined;
  const e = err as { status?: unknown; httpStatus?: unknown; statusCode?: unknown; data?: unknown; cause?: unknown };
  // HatagoError.status is hatago's own response status, not the upstream's.
  if (!isHatagoError(err)) {
    for (const v of [e.status, e.httpStatus, e.statusCode]) if (typeof v === 'number') return v;
  }
  if (typeof e.data === 'object' && e.data !== null) {
    const d = e.data as { httpStatus?: unknown; status?: unknown };
    if (typeof d.httpStatus === 'number') return d.httpStatus;
    if (!isHatagoError(err) && typeof d.status === 'number') return d.status;
  }
  return httpStatusOf(e.cause, depth + 1);
}
