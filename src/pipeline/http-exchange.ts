// One HTTP request on its way through the HTTP stages; each stage adds what
// it established, so nothing later reads the socket, headers or body again.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonRpcId } from '../errors/index.js';
import type { ClientInfo, Principal } from '../hub/types.js';

export interface HttpExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** network: the effective client (trusted proxies applied). */
  client?: ClientInfo;
  /** authentication: who is calling (null: anonymous). */
  principal?: Principal | null;
  /** validation (POST): the one message of the body, parsed and checked once. */
  body?: Record<string, unknown>;
  /** transport: where the message goes (set by the transport that owns the endpoint). */
  route?: unknown;
  /** The JSON-RPC id an error answer carries, once the transport knows it. */
  replyId?: JsonRpcId;
  /** The trace context of this request's span, when traces are on (src/telemetry). */
  trace?: unknown;
}

/** What the network and authentication stages established. */
export function callerOf(x: HttpExchange): { client: ClientInfo; principal: Principal | null; trace?: unknown } {
  return { client: x.client ?? { ip: null, origin: null, userAgent: null }, principal: x.principal ?? null, ...(x.trace !== undefined && { trace: x.trace }) };
}
