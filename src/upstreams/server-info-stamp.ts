// A 2026-07-28 server stamps its identity on every result, in `_meta` under
// `io.modelcontextprotocol/serverInfo`. Behind the hub that stamp would be
// passed on as if the hub had produced the result, and would tell every
// client which software (and version) runs behind the gateway. It is
// dropped as the result arrives, for every downstream revision; the hub
// names itself in its own server/discover result (src/http/modern-encoding.ts).

export const SERVER_INFO_META = 'io.modelcontextprotocol/serverInfo';

/** Removes the upstream's identity stamp from a raw JSON-RPC response, in place. */
export function dropServerInfoStamp(message: unknown): void {
  const m = message as { id?: unknown; method?: unknown; result?: unknown };
  if (m.method !== undefined || m.id === undefined || !isObject(m.result)) return;
  const meta = m.result._meta;
  if (!isObject(meta) || !(SERVER_INFO_META in meta)) return;
  delete meta[SERVER_INFO_META];
  if (Object.keys(meta).length === 0) delete m.result._meta;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
