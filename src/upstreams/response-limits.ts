// Bounds on what one upstream may send back (mcpServers.<id>.maxResponseBytes,
// docs/upstreams.md). A call whose answer passes them fails alone, as
// ERR_UPSTREAM_ERROR with data.reason "response_too_large"; the connection that
// carried it is dropped (HTTP) or the rest of the line skipped (stdio).

import { HatagoError } from '../errors/index.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Messages (SSE events) one call's answer stream may carry, progress included. */
export const DEFAULT_MAX_RESPONSE_EVENTS = 100_000;

export interface ResponseLimits {
  /** Bytes of one call's answer: a JSON body, a whole SSE answer stream, one stdio line. */
  maxResponseBytes: number;
  maxResponseEvents: number;
}

export function responseLimits(config: { maxResponseBytes?: number }): ResponseLimits {
  return { maxResponseBytes: config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, maxResponseEvents: DEFAULT_MAX_RESPONSE_EVENTS };
}

/** Raised inside a transport when an answer passes its bound; mapped to responseTooLarge(). */
export class ResponseTooLargeError extends Error {
  constructor(readonly bytes: number, readonly limit: string) {
    super(`upstream answer too large (${limit})`);
    this.name = 'ResponseTooLargeError';
  }
}

export const RESPONSE_TOO_LARGE = 'response_too_large';

export function responseTooLarge(server: string, limits: ResponseLimits, detail: string): HatagoError {
  return new HatagoError('ERR_UPSTREAM_ERROR', {
    message: `Upstream server "${server}" sent an answer larger than the hub accepts`,
    data: { server, reason: RESPONSE_TOO_LARGE, maxResponseBytes: limits.maxResponseBytes },
    detail,
  });
}
