import { ERROR_CODES, type ErrorCode } from './codes.js';

/**
 * Base class of every error hatago raises on purpose. It carries a stable
 * `code` (switch on it), the HTTP status and the JSON-RPC code from the one
 * table in codes.ts. `message` is safe to show a client; `detail` is for logs.
 */
export class HatagoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly rpcCode: number;
  /** Log-only detail; never sent to a client. */
  readonly detail?: string;
  /** Extra client-visible data (e.g. decisionId, server, retryAfter). */
  readonly data?: Record<string, unknown>;

  /** `rpcCode`, `status`: only where a specification fixes another answer for the code (the SDK's validation ladder). */
  constructor(code: ErrorCode, opts: { message?: string; detail?: string; data?: Record<string, unknown>; cause?: unknown; rpcCode?: number; status?: number } = {}) {
    const spec = ERROR_CODES[code];
    super(opts.message ?? spec.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HatagoError';
    this.code = code;
    this.status = opts.status ?? spec.status;
    this.rpcCode = opts.rpcCode ?? spec.rpc;
    if (opts.detail !== undefined) this.detail = opts.detail;
    if (opts.data !== undefined) this.data = opts.data;
  }
}

export function isHatagoError(err: unknown): err is HatagoError {
  return err instanceof HatagoError;
}
