// Result shape for 2026-07-28 clients. The revision requires `resultType`
// on every result and `ttlMs`/`cacheScope` on cacheable ones, and deleted
// `execution` from tools. The hub's results are revision-neutral; this is
// the one place that stamps them for the modern wire.

import { mcpMethod } from '../mcp/methods.js';
import { SERVER_INFO_META } from '../upstreams/server-info-stamp.js';

export function encodeModernResult(method: string, result: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result, resultType: 'complete' };
  if (method === 'server/discover' && typeof result.serverInfo === 'object' && result.serverInfo !== null) {
    // The revision carries the server's identity in `_meta` (clients read it there, not in the body).
    delete out.serverInfo;
    out._meta = { ...(result._meta as Record<string, unknown> | undefined), [SERVER_INFO_META]: result.serverInfo };
  }
  if (mcpMethod(method)?.cacheable === true) {
    // Lists are filtered per caller by the policy: never shareable, not cached.
    out.ttlMs = 0;
    out.cacheScope = 'private';
  }
  if (method === 'tools/list' && Array.isArray(result.tools)) {
    out.tools = result.tools.map((t: Record<string, unknown>) => {
      if (!('execution' in t)) return t;
      const { execution: _deleted, ...rest } = t;
      return rest;
    });
  }
  return out;
}
