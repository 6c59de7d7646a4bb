import type { McpItem, UpstreamCatalog } from './types.js';

export type CatalogKind = keyof UpstreamCatalog;

export const LIST_METHOD: Record<CatalogKind, { method: string; key: string; capability: string }> = {
  tools: { method: 'tools/list', key: 'tools', capability: 'tools' },
  prompts: { method: 'prompts/list', key: 'prompts', capability: 'prompts' },
  resources: { method: 'resources/list', key: 'resources', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', key: 'resourceTemplates', capability: 'resources' },
};

/** Guards against a server whose `nextCursor` never ends. */
const MAX_PAGES = 1000;

type Send = (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Lists one kind, following `nextCursor` to the end. */
export async function listAll(send: Send, kind: CatalogKind): Promise<McpItem[]> {
  const { method, key } = LIST_METHOD[kind];
  const items: McpItem[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await send(method, cursor === undefined ? {} : { cursor });
    const pageItems = result[key];
    if (Array.isArray(pageItems)) items.push(...(pageItems as McpItem[]));
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === '' || seen.has(next)) return items;
    seen.add(next);
    cursor = next;
  }
  return items;
}

export function emptyCatalog(): UpstreamCatalog {
  return { tools: [], prompts: [], resources: [], resourceTemplates: [] };
}
