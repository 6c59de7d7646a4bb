// What a client sees when the hub fails a request. HatagoError goes through
// the one error mapper (toJsonRpcError); an upstream's own JSON-RPC error is
// relayed as the upstream wrote it (its code, message and data), because the
// client asked that server and the error is the server's answer.

import { isHatagoError, toJsonRpcError, type JsonRpcErrorBody, type JsonRpcId } from '../errors/index.js';
import { isUpstreamRpcError } from '../upstreams/errors.js';
import type { HubLogger } from './types.js';

export function toClientError(err: unknown, id: JsonRpcId, logger?: HubLogger): { status: number; body: JsonRpcErrorBody } {
  if (isUpstreamRpcError(err)) {
    const data = err.data;
    return {
      status: 200,
      body: {
        jsonrpc: '2.0',
        id,
        error: {
          code: err.code,
          message: err.message,
          ...(typeof data === 'object' && data !== null && !Array.isArray(data) && { data: data as Record<string, unknown> }),
        },
      },
    };
  }
  if (!isHatagoError(err)) logger?.error('unexpected error while handling a request', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
  else if (err.detail !== undefined) logger?.debug('request failed', { code: err.code, detail: err.detail });
  return toJsonRpcError(err, id);
}
