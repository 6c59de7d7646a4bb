// Result shape for 2026-07-28 clients. The revision requires `resultType`
// on every result and `ttlMs`/`cacheScope` on cacheable ones, and deleted
// `execution` from tools. The hub's results are revision-neutral; this is
// the one place that stamps them for the modern wire.

import { mcpMethod } from '../mcp/methods.js';

export function encodeModernResult(method: string, result: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result, resultType: 'complete' };
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
