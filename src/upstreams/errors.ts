import { HatagoError } from '../errors/index.js';

/**
 * The upstream answered with a JSON-RPC error. Kept apart from HatagoError
 * so the hub can relay the upstream's own code, message and data as they are.
 */
export class UpstreamRpcError extends Error {
  readonly code: number;
  readonly data?: unknown;
  readonly server: string;

  constructor(server: string, code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'UpstreamRpcError';
    this.server = server;
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

export function isUpstreamRpcError(err: unknown): err is UpstreamRpcError {
  return err instanceof UpstreamRpcError;
}

/** `cause` may carry the upstream's HTTP status (the breaker reads 401/403 as `auth`). */
export function unavailableError(server: string, detail?: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_UPSTREAM_UNAVAILABLE', {
    message: `Upstream server "${server}" is unavailable`,
    data: { server },
    ...(detail === undefined ? {} : { detail }),
    ...(cause === undefined ? {} : { cause }),
  });
}

export function timeoutError(server: string, timeoutMs: number): HatagoError {
  return new HatagoError('ERR_UPSTREAM_TIMEOUT', {
    message: `Upstream server "${server}" did not answer within ${timeoutMs} ms`,
    data: { server, timeoutMs },
  });
}

export function upstreamError(server: string, detail: string): HatagoError {
  return new HatagoError('ERR_UPSTREAM_ERROR', {
    message: `Upstream server "${server}" failed`,
    data: { server },
    detail,
  });
}
