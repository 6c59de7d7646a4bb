import { HatagoError } from './hatago-error.js';
import { helpFor } from './help.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorBody {
  jsonrpc: '2.0';
  id: JsonRpcId;
  error: { code: number; message: string; data?: Record<string, unknown> };
}

/**
 * The one function that turns any error into what a client sees. Unknown
 * errors become ERR_INTERNAL with no detail: nothing internal leaks.
 */
export function toJsonRpcError(err: unknown, id: JsonRpcId = null): { status: number; body: JsonRpcErrorBody } {
  const e = err instanceof HatagoError ? err : new HatagoError('ERR_INTERNAL');
  const help = helpFor(e.code, e.data);
  return {
    status: e.status,
    body: {
      jsonrpc: '2.0',
      id,
      error: { code: e.rpcCode, message: e.message, data: { code: e.code, ...(help !== undefined && { help }), ...e.data } },
    },
  };
}
