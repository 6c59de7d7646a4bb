// The one list of MCP request methods the hub serves, and what each is to
// the hub. The dispatcher (src/hub), the HTTP transport (Mcp-Name header,
// SSE for calls that may ask the client), the 2026-07-28 result encoding and
// the params schemas (src/validation) read it; Rego keeps its own method map
// (hatago.rbac `methods`), tested equal to this one.

export type ListKey = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

export interface McpMethod {
  /**
   * local: answered by the hub; list: from the aggregated catalog, filtered
   * by the policy; named: routed by exposed name; resource: routed by URI;
   * complete: routed by its ref.
   */
  kind: 'local' | 'list' | 'named' | 'resource' | 'complete';
  /** Lists: the catalog (and result) key. */
  listKey?: ListKey;
  /** Where a 2026-07-28 Mcp-Name header's value is in the params. */
  nameFrom?: 'name' | 'uri';
  /** The request reaches an upstream, which may ask the client things mid-call. */
  forwarded?: boolean;
  /** 2026-07-28: a cacheable result (ttlMs / cacheScope). */
  cacheable?: boolean;
}

export const MCP_METHODS: Readonly<Record<string, McpMethod>> = {
  initialize: { kind: 'local' },
  'server/discover': { kind: 'local', cacheable: true },
  ping: { kind: 'local' },
  'logging/setLevel': { kind: 'local' },
  'tools/list': { kind: 'list', listKey: 'tools', cacheable: true },
  'prompts/list': { kind: 'list', listKey: 'prompts', cacheable: true },
  'resources/list': { kind: 'list', listKey: 'resources', cacheable: true },
  'resources/templates/list': { kind: 'list', listKey: 'resourceTemplates', cacheable: true },
  'tools/call': { kind: 'named', nameFrom: 'name', forwarded: true },
  'prompts/get': { kind: 'named', nameFrom: 'name', forwarded: true },
  'resources/read': { kind: 'resource', nameFrom: 'uri', forwarded: true, cacheable: true },
  'resources/subscribe': { kind: 'resource', nameFrom: 'uri' },
  'resources/unsubscribe': { kind: 'resource', nameFrom: 'uri' },
  'completion/complete': { kind: 'complete', forwarded: true },
};

export function mcpMethod(method: string): McpMethod | undefined {
  return Object.hasOwn(MCP_METHODS, method) ? MCP_METHODS[method] : undefined;
}

/**
 * Methods no client sends, asked of the policy by the hub itself:
 * `admin/status` (GET /health/details), `admin/metrics` (GET /metrics),
 * `admin/console` and `admin/console/write` (the security console's reads and
 * actions, docs/console.md), `admin/approvals` and `admin/approvals/decide`
 * (the approvals endpoint) and `server/observe` (may a session hear a
 * server's notifications).
 */
export const RUNTIME_METHODS: readonly string[] = ['admin/status', 'admin/metrics', 'admin/console', 'admin/console/write', 'admin/approvals', 'admin/approvals/decide', 'server/observe'];

/** A method as a metric label or span name: a known method, else `other` (a client never names a series). */
export function methodLabel(method: string): string {
  return mcpMethod(method) !== undefined || RUNTIME_METHODS.includes(method) ? method : 'other';
}
