// Aggregation: from each upstream's raw catalog, the lists the hub exposes
// and the routing indexes that send a request to exactly one upstream.
// Naming rules are documented in docs/naming.md; keep the two in step.

import { UriTemplate } from '@modelcontextprotocol/server';
import type { ServerConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { McpItem, UpstreamCatalog } from '../upstreams/types.js';
import { passesFilter } from './glob.js';
import type { HubLogger, ListCandidate } from './types.js';

export type ItemKind = ListCandidate['kind'];

/** One exposed item: what the client sees and where it routes. */
export interface ExposedEntry {
  server: string;
  /** Upstream-local name, URI or URI template. */
  local: string;
  /** Name, URI or URI template the client sees. */
  exposed: string;
  /** The item as listed to clients (renamed; metadata kept). */
  item: McpItem;
  candidate: ListCandidate;
}

/** One kind's exposed items, in list order, with an O(1) index by exposed key. */
export interface ExposedList {
  entries: ExposedEntry[];
  candidates: ListCandidate[];
  index: Map<string, ExposedEntry>;
}

export interface AggregatedCatalog {
  tools: ExposedList;
  prompts: ExposedList;
  resources: ExposedList;
  resourceTemplates: ExposedList;
  /** Compiled templates for routing reads of URIs that are not listed. */
  templateMatchers: { entry: ExposedEntry; template: UriTemplate }[];
}

export interface ServerCatalogInput {
  id: string;
  config: ServerConfig;
  catalog: UpstreamCatalog;
}

export interface BuildOptions {
  /** `throw`: start-up, a collision is ERR_NAME_COLLISION. `keep-first`: later rebuilds log and keep the earlier owner. */
  onCollision: 'throw' | 'keep-first';
  /** Previous catalog, so a later collision keeps the name with its first owner. */
  previous?: AggregatedCatalog | undefined;
  logger?: HubLogger | undefined;
}

const KIND_LABEL: Record<ItemKind, string> = {
  tool: 'tool',
  prompt: 'prompt',
  resource: 'resource URI',
  resourceTemplate: 'resource template',
};

/** `<prefix>_<name>`; the prefix defaults to the server id, `""` means none. */
export function exposedName(serverId: string, config: ServerConfig, local: string): string {
  const prefix = config.prefix ?? serverId;
  return prefix === '' ? local : `${prefix}_${local}`;
}

function emptyList(): ExposedList {
  return { entries: [], candidates: [], index: new Map() };
}

function keyOf(kind: ItemKind, item: McpItem): string | undefined {
  const key = kind === 'resource' ? item.uri : kind === 'resourceTemplate' ? item.uriTemplate : item.name;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

function addItems(list: ExposedList, kind: ItemKind, server: ServerCatalogInput, items: McpItem[], opts: BuildOptions): void {
  const prevIndex = opts.previous?.[listName(kind)].index;
  for (const item of items) {
    const local = keyOf(kind, item);
    if (local === undefined) continue; // malformed upstream item: nothing to route to
    if (kind === 'tool' && !passesFilter(local, server.config.tools)) continue;
    // Names of tools and prompts are namespaced; URIs stay as the upstream wrote them
    // (tool results link to them), so resources are routed by an exact index.
    const namespaced = kind === 'tool' || kind === 'prompt';
    const exposed = namespaced ? exposedName(server.id, server.config, local) : local;
    const entry: ExposedEntry = {
      server: server.id,
      local,
      exposed,
      item: namespaced && exposed !== local ? { ...item, name: exposed } : item,
      candidate: { server: server.id, kind, name: local, exposed },
    };
    const owner = list.index.get(exposed);
    if (owner) {
      if (owner.server === server.id) continue; // duplicate within one server: first wins
      const message = `${KIND_LABEL[kind]} "${exposed}" is exposed by both "${owner.server}" and "${server.id}"`;
      // Tools and prompts can be renamed with `prefix`, so a clash is a config
      // error. URIs are not renamed (see docs/naming.md): the first server in
      // config order keeps a shared URI, and the clash is logged.
      if (opts.onCollision === 'throw' && namespaced) {
        throw new HatagoError('ERR_NAME_COLLISION', {
          message: `${message}; give one of them another "prefix"`,
          data: { kind, exposed, servers: [owner.server, server.id] },
        });
      }
      const previousOwner = prevIndex?.get(exposed)?.server;
      opts.logger?.warn(namespaced ? 'name collision after list_changed; keeping the first owner' : 'resource URI offered by two servers; the first keeps it', {
        kind, exposed, servers: [owner.server, server.id], kept: previousOwner === server.id ? server.id : owner.server,
      });
      if (previousOwner === server.id) replaceEntry(list, owner, entry);
      continue;
    }
    list.index.set(exposed, entry);
    list.entries.push(entry);
  }
}

function replaceEntry(list: ExposedList, old: ExposedEntry, entry: ExposedEntry): void {
  const i = list.entries.indexOf(old);
  list.entries[i] = entry;
  list.index.set(entry.exposed, entry);
}

function listName(kind: ItemKind): 'tools' | 'prompts' | 'resources' | 'resourceTemplates' {
  return kind === 'tool' ? 'tools' : kind === 'prompt' ? 'prompts' : kind === 'resource' ? 'resources' : 'resourceTemplates';
}

/** Builds the exposed lists and routing indexes, servers in config order. */
export function buildCatalog(servers: readonly ServerCatalogInput[], opts: BuildOptions): AggregatedCatalog {
  const cat: AggregatedCatalog = {
    tools: emptyList(),
    prompts: emptyList(),
    resources: emptyList(),
    resourceTemplates: emptyList(),
    templateMatchers: [],
  };
  for (const s of servers) {
    addItems(cat.tools, 'tool', s, s.catalog.tools, opts);
    addItems(cat.prompts, 'prompt', s, s.catalog.prompts, opts);
    addItems(cat.resources, 'resource', s, s.catalog.resources, opts);
    addItems(cat.resourceTemplates, 'resourceTemplate', s, s.catalog.resourceTemplates, opts);
  }
  for (const list of [cat.tools, cat.prompts, cat.resources, cat.resourceTemplates]) {
    // Frozen: the policy's input encoder serialises a frozen list once (src/policy/input-encoder.ts).
    list.candidates = Object.freeze(list.entries.map((e) => e.candidate)) as ListCandidate[];
  }
  for (const entry of cat.resourceTemplates.entries) {
    try {
      cat.templateMatchers.push({ entry, template: new UriTemplate(entry.local) });
    } catch {
      opts.logger?.warn('upstream resource template does not parse; it is listed but cannot route reads', {
        server: entry.server, uriTemplate: entry.local,
      });
    }
  }
  return cat;
}

export type ResourceRoute = { server: string; uri: string; via: 'resource' | 'template'; exposed: string };

/**
 * Routes a resource URI to exactly one server: the listed resource with that
 * URI, else the first template (servers in config order) that matches it.
 * Nothing matching is ERR_UNKNOWN_RESOURCE: the hub never guesses a server.
 */
export function routeResource(cat: AggregatedCatalog, uri: string): ResourceRoute {
  const listed = cat.resources.index.get(uri);
  if (listed) return { server: listed.server, uri, via: 'resource', exposed: listed.exposed };
  for (const { entry, template } of cat.templateMatchers) {
    if (template.match(uri) !== null) return { server: entry.server, uri, via: 'template', exposed: entry.exposed };
  }
  throw new HatagoError('ERR_UNKNOWN_RESOURCE', { data: { uri } });
}

/** Servers whose entries differ between two lists (added, removed, renamed or changed items): who gets list_changed. */
export function changedServers(a: ExposedList, b: ExposedList): Set<string> {
  const byServer = (l: ExposedList) => {
    const m = new Map<string, string[]>();
    for (const e of l.entries) {
      const list = m.get(e.server) ?? [];
      list.push(`${e.exposed}\u0000${JSON.stringify(e.item)}`);
      m.set(e.server, list);
    }
    return m;
  };
  const x = byServer(a);
  const y = byServer(b);
  const changed = new Set<string>();
  for (const server of new Set([...x.keys(), ...y.keys()])) {
    const p = x.get(server) ?? [];
    const q = y.get(server) ?? [];
    if (p.length !== q.length || p.some((v, i) => v !== q[i])) changed.add(server);
  }
  return changed;
}
