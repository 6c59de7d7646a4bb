// Stage "transport": the framing of the transport the request came by. For
// /mcp (Streamable HTTP) the endpoint owns it (src/http/mcp-endpoint.ts):
// HTTP method, session, protocol revision and the 2026-07-28 headers.

import type { HttpExchange } from '../http-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const TRANSPORT_STAGE: StageSpec = {
  name: 'transport',
  scope: 'http',
  does: 'Streamable HTTP framing: HTTP method, session, protocol revision, Accept; 2026-07-28 Mcp-Method and Mcp-Name headers must match the body; a new session only within the session_limits of its initialize decision and with capabilities of at most 16 KiB; a session is looked up in the session index (shared by replicas)',
  fails: ['ERR_METHOD_NOT_ALLOWED', 'ERR_INVALID_REQUEST', 'ERR_INVALID_PARAMS', 'ERR_SESSION_REQUIRED', 'ERR_UNSUPPORTED_PROTOCOL_VERSION', 'ERR_HEADER_MISMATCH', 'ERR_SESSION_NOT_FOUND', 'ERR_NOT_ACCEPTABLE', 'ERR_LIMIT_EXCEEDED', 'ERR_SESSION_LIMIT', 'ERR_SESSION_STORE_UNAVAILABLE'],
};

/** The transport stage over a router that says where the request goes (`x.route`). */
export function transportStage(route: (x: HttpExchange) => Promise<unknown>): Stage<HttpExchange> {
  return {
    ...TRANSPORT_STAGE,
    run: async (x) => {
      x.route = await route(x);
    },
  };
}
