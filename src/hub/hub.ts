// The dispatcher: one `handle` for every MCP method the hub answers. Each
// request asks the guard first (the hub never decides allow/deny itself),
// then answers from the aggregated catalog or forwards to exactly one
// upstream. Transports parse, the hub routes, upstreams talk to servers.

import { HatagoError } from '../errors/index.js';
import type { ClientRelay, Upstream, UpstreamState, UpstreamStatus } from '../upstreams/types.js';
import { buildCatalog, changedServers, routeResource, type AggregatedCatalog, type ExposedEntry, type ExposedList } from './catalog.js';
import {
  DEFAULT_IDENTITY,
  LEGACY_PROTOCOL_VERSIONS,
  MODERN_PROTOCOL_VERSION,
  legacyCapabilities,
  modernCapabilities,
  negotiateLegacyVersion,
  type ServerIdentity,
} from './server-info.js';
import { SubscriptionTable } from './subscriptions.js';
import { isUpstreamRpcError } from '../upstreams/errors.js';
import { safeUrl, truncateLine } from '../upstreams/redact.js';
import type { ServerConfig } from '../config/types.js';
import type { HubValidation } from '../validation/index.js';
import type { CallerContext, ClientSink, GuardRequest, GuardResult, HubLogger, HubRequest, RequestGuard, UpstreamSource } from './types.js';

/** Wraps each upstream call (the circuit breakers: src/breaker's BreakerRegistry fits). */
export interface UpstreamCallGate {
  run<T>(server: string, call: () => Promise<T>): Promise<T>;
}

export interface HubOptions {
  upstreams: UpstreamSource | readonly Upstream[];
  guard: RequestGuard;
  /**
   * Asks the policy whether a connection may hear a server's notifications
   * ("server/observe"). Not rate limited: the hub asks it, not the client.
   * Default `guard`.
   */
  observer?: RequestGuard;
  /** Circuit breakers around every upstream call. */
  breakers?: UpstreamCallGate;
  /** Tool arguments and upstream answers checked against schemas (src/validation). */
  validation?: HubValidation;
  logger: HubLogger;
  identity?: ServerIdentity;
  instructions?: string;
}

type Result = Record<string, unknown>;

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Used when the caller cannot take upstream→client requests (stateless clients). */
const REFUSING_RELAY: ClientRelay = {
  capabilities: undefined,
  request: async (method) => {
    throw new HatagoError('ERR_CLIENT_CAPABILITY', {
      message: `The client cannot serve the upstream's ${method} request`,
      data: { method },
    });
  },
};

interface Connection {
  sink: ClientSink;
  /** Who is connected now, as the policy sees them when it is asked about a server. */
  caller: () => CallerContext;
  /** The principal the cached observe decisions were made for. */
  observedAs: unknown;
  /** Minimum level of forwarded log messages (logging/setLevel); undefined = all. */
  minLevel: number;
  /** The policy's answer per server ("server/observe"), until the policy changes. */
  observes: Map<string, Promise<boolean>>;
  /** Deliveries in order: each waits for the previous one's decision. */
  queue: Promise<void>;
}

export class Hub {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly states = new Map<string, UpstreamState>();
  private readonly guard: RequestGuard;
  private readonly observer: RequestGuard;
  private readonly breakers: UpstreamCallGate | undefined;
  private readonly validation: HubValidation | undefined;
  private readonly logger: HubLogger;
  private readonly identity: ServerIdentity;
  private readonly instructions: string | undefined;
  private readonly connections = new Map<string, Connection>();
  private readonly subscriptions = new SubscriptionTable();
  private readonly detach: (() => void)[] = [];
  private catalog: AggregatedCatalog;

  /** Throws ERR_NAME_COLLISION when two upstreams expose the same name now. */
  constructor(opts: HubOptions) {
    const list = 'list' in opts.upstreams ? opts.upstreams.list() : opts.upstreams;
    for (const u of list) this.upstreams.set(u.id, u);
    this.guard = opts.guard;
    this.observer = opts.observer ?? opts.guard;
    this.breakers = opts.breakers;
    this.validation = opts.validation;
    this.logger = opts.logger;
    this.identity = opts.identity ?? DEFAULT_IDENTITY;
    this.instructions = opts.instructions;
    this.catalog = buildCatalog(this.catalogInputs(), { onCollision: 'throw', logger: this.logger });
    for (const u of this.upstreams.values()) this.watch(u);
  }

  // -- connections (sessions, stdio) ---------------------------------------

  /**
   * Registers a client for notifications; returns the function that
   * disconnects it. A server's notifications reach it only when the policy
   * lets `caller` observe that server.
   */
  connect(connectionId: string, sink: ClientSink, caller: () => CallerContext): () => void {
    this.connections.set(connectionId, { sink, caller, observedAs: undefined, minLevel: 0, observes: new Map(), queue: Promise.resolve() });
    return () => this.disconnect(connectionId);
  }

  /** A new policy is active: every connection's observe decisions are asked again. */
  policyChanged(): void {
    for (const conn of this.connections.values()) conn.observes.clear();
  }

  private mayObserve(conn: Connection, server: string): Promise<boolean> {
    const caller = conn.caller();
    if (caller.principal !== conn.observedAs) {
      // Another token holds the session now: its decisions are its own.
      conn.observes.clear();
      conn.observedAs = caller.principal;
    }
    let answer = conn.observes.get(server);
    if (!answer) {
      // Fail closed: an evaluation error or a deny means nothing from that server.
      answer = this.observer.check(caller, { method: 'server/observe', server }).then(() => true, () => false);
      conn.observes.set(server, answer);
    }
    return answer;
  }

  /** Delivers to `conn`, in order, if it may observe `server`. */
  private deliver(conn: Connection, server: string, method: string, params?: Result): void {
    if (conn.sink.listening === false) return; // nothing would reach it: no decision, no queue
    conn.queue = conn.queue.then(async () => {
      if (await this.mayObserve(conn, server)) conn.sink.notify(method, params);
    });
  }

  private disconnect(connectionId: string): void {
    if (!this.connections.delete(connectionId)) return;
    for (const { uri, server } of this.subscriptions.removeClient(connectionId)) {
      this.unsubscribeUpstream(server, uri);
    }
  }

  /** Status of every upstream, for /health. */
  status(): UpstreamStatus[] {
    return [...this.upstreams.values()].map((u) => u.status());
  }

  /** Stops listening to upstream events (the upstreams themselves are stopped by their owner). */
  close(): void {
    for (const off of this.detach.splice(0)) off();
    this.connections.clear();
  }

  // -- the dispatcher ------------------------------------------------------

  async handle(req: HubRequest, ctx: CallerContext): Promise<Result> {
    const params = req.params ?? {};
    switch (req.method) {
      case 'initialize':
        await this.check(ctx, { method: req.method });
        return {
          protocolVersion: negotiateLegacyVersion(params.protocolVersion),
          capabilities: legacyCapabilities(),
          serverInfo: { ...this.identity },
          ...(this.instructions !== undefined && { instructions: this.instructions }),
        };
      case 'server/discover':
        await this.check(ctx, { method: req.method });
        return {
          supportedVersions: [MODERN_PROTOCOL_VERSION, ...LEGACY_PROTOCOL_VERSIONS],
          capabilities: modernCapabilities(),
          serverInfo: { ...this.identity },
          ...(this.instructions !== undefined && { instructions: this.instructions }),
        };
      case 'ping':
        await this.check(ctx, { method: req.method });
        return {};
      case 'logging/setLevel':
        return this.setLevel(params, ctx);
      case 'tools/list':
        return { tools: await this.visible(ctx, req.method, this.catalog.tools) };
      case 'prompts/list':
        return { prompts: await this.visible(ctx, req.method, this.catalog.prompts) };
      case 'resources/list':
        return { resources: await this.visible(ctx, req.method, this.catalog.resources) };
      case 'resources/templates/list':
        return { resourceTemplates: await this.visible(ctx, req.method, this.catalog.resourceTemplates) };
      case 'tools/call':
        return this.callNamed(req.method, params, ctx, this.catalog.tools, 'ERR_UNKNOWN_TOOL');
      case 'prompts/get':
        return this.callNamed(req.method, params, ctx, this.catalog.prompts, 'ERR_UNKNOWN_PROMPT');
      case 'resources/read':
        return this.readResource(params, ctx);
      case 'resources/subscribe':
        return this.subscribe(params, ctx);
      case 'resources/unsubscribe':
        return this.unsubscribe(params, ctx);
      case 'completion/complete':
        return this.complete(params, ctx);
      default:
        await this.check(ctx, { method: req.method });
        throw new HatagoError('ERR_METHOD_NOT_FOUND', { data: { method: req.method } });
    }
  }

  private async check(ctx: CallerContext, req: GuardRequest): Promise<GuardResult> {
    const result = await this.guard.check(ctx, req);
    // The transport reads what the decision says beyond allow (e.g. initialize's session_limits).
    ctx.decision = result;
    return result;
  }

  /** List methods: the guard sees every candidate and returns what this caller may see. */
  private async visible(ctx: CallerContext, method: string, list: ExposedList): Promise<unknown[]> {
    const { visible } = await this.check(ctx, { method, candidates: list.candidates });
    if (!visible || visible.size === 0) return []; // fail closed: no `visible` shows nothing
    const out: unknown[] = [];
    for (const e of list.entries) if (visible.has(e.exposed)) out.push(e.item);
    return out;
  }

  /** tools/call and prompts/get: route by exposed name, forward under the local name. */
  private async callNamed(method: string, params: Result, ctx: CallerContext, list: ExposedList, unknown: 'ERR_UNKNOWN_TOOL' | 'ERR_UNKNOWN_PROMPT'): Promise<Result> {
    const exposed = typeof params.name === 'string' ? params.name : undefined;
    const entry = exposed === undefined ? undefined : list.index.get(exposed);
    const args = isObject(params.arguments) ? params.arguments : undefined;
    await this.check(ctx, {
      method,
      ...(entry && { server: entry.server, name: entry.local }),
      ...(exposed !== undefined && { exposed }),
      ...(args && { arguments: args }),
      params,
    });
    if (exposed === undefined) throw new HatagoError('ERR_INVALID_PARAMS', { message: 'params.name must be a string' });
    if (!entry) throw new HatagoError(unknown, { data: { name: exposed } });
    // After policy and routing (a denied caller learns nothing of the schema), before the upstream.
    if (method === 'tools/call') this.validation?.checkArguments(entry.server, entry.local, args);
    return this.forward(entry.server, method, { ...forwardable(params), name: entry.local }, ctx);
  }

  private async readResource(params: Result, ctx: CallerContext): Promise<Result> {
    const uri = requireUri(params);
    const route = tryRoute(this.catalog, uri);
    await this.check(ctx, { method: 'resources/read', ...(route.ok && { server: route.server }), name: uri, exposed: uri, params });
    if (!route.ok) throw route.error;
    return this.forward(route.server, 'resources/read', forwardable(params), ctx);
  }

  private async subscribe(params: Result, ctx: CallerContext): Promise<Result> {
    const uri = requireUri(params);
    const route = tryRoute(this.catalog, uri);
    await this.check(ctx, { method: 'resources/subscribe', ...(route.ok && { server: route.server }), name: uri, exposed: uri, params });
    if (!route.ok) throw route.error;
    const client = requireConnection(ctx);
    if (this.subscriptions.add(uri, route.server, client)) {
      try {
        await this.forward(route.server, 'resources/subscribe', { uri }, ctx);
      } catch (err) {
        this.subscriptions.remove(uri, client);
        throw err;
      }
    }
    return {};
  }

  private async unsubscribe(params: Result, ctx: CallerContext): Promise<Result> {
    const uri = requireUri(params);
    const route = tryRoute(this.catalog, uri);
    await this.check(ctx, { method: 'resources/unsubscribe', ...(route.ok && { server: route.server }), name: uri, exposed: uri });
    const client = requireConnection(ctx);
    if (route.ok && this.subscriptions.remove(uri, client)) this.unsubscribeUpstream(route.server, uri);
    return {};
  }

  private unsubscribeUpstream(server: string, uri: string): void {
    const up = this.upstreams.get(server);
    if (!up || this.states.get(server) !== 'ready') return;
    up.request('resources/unsubscribe', { uri }).catch((err: unknown) => {
      this.logger.debug('upstream unsubscribe failed', { server, uri, error: String(err) });
    });
  }

  /** completion/complete: `ref/prompt` routes by exposed prompt name, `ref/resource` by URI (template). */
  private async complete(params: Result, ctx: CallerContext): Promise<Result> {
    const ref = isObject(params.ref) ? params.ref : undefined;
    let server: string | undefined;
    let forwardRef: Result | undefined;
    let name: string | undefined;
    let exposed: string | undefined;
    // The policy needs to know what is being completed: a prompt, or a resource (template).
    let kind: GuardRequest['kind'];
    let failure: HatagoError | undefined;
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      exposed = ref.name;
      kind = 'prompt';
      const entry = this.catalog.prompts.index.get(ref.name);
      if (entry) {
        server = entry.server;
        name = entry.local;
        forwardRef = { ...ref, name: entry.local };
      } else failure = new HatagoError('ERR_UNKNOWN_PROMPT', { data: { name: ref.name } });
    } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      exposed = ref.uri;
      const template = this.catalog.resourceTemplates.index.get(ref.uri);
      const entry: ExposedEntry | undefined = template ?? this.catalog.resources.index.get(ref.uri);
      kind = template ? 'resourceTemplate' : 'resource';
      if (entry) {
        server = entry.server;
        name = entry.local;
        forwardRef = ref;
      } else failure = new HatagoError('ERR_UNKNOWN_RESOURCE', { data: { uri: ref.uri } });
    } else {
      failure = new HatagoError('ERR_INVALID_PARAMS', { message: 'params.ref must be a ref/prompt or ref/resource' });
    }
    await this.check(ctx, {
      method: 'completion/complete',
      ...(kind !== undefined && { kind }),
      ...(server !== undefined && { server }),
      ...(name !== undefined && { name }),
      ...(exposed !== undefined && { exposed }),
      params,
    });
    if (failure || server === undefined) throw failure ?? new HatagoError('ERR_INVALID_PARAMS');
    return this.forward(server, 'completion/complete', { ...forwardable(params), ref: forwardRef }, ctx);
  }

  private async setLevel(params: Result, ctx: CallerContext): Promise<Result> {
    await this.check(ctx, { method: 'logging/setLevel' });
    const level = LOG_LEVELS.indexOf(String(params.level));
    if (level < 0) throw new HatagoError('ERR_INVALID_PARAMS', { message: 'params.level is not a logging level' });
    // Upstreams are shared by every client, so the level filters per client here.
    const conn = ctx.connectionId === undefined ? undefined : this.connections.get(ctx.connectionId);
    if (conn) conn.minLevel = level;
    return {};
  }

  /** Sends one request to one upstream; an upstream that is not ready fails at once, naming it. */
  private forward(server: string, method: string, params: Result, ctx: CallerContext): Promise<Result> {
    const call = (): Promise<Result> => {
      const up = this.upstreams.get(server);
      if (!up || this.states.get(server) !== 'ready') {
        return Promise.reject(new HatagoError('ERR_UPSTREAM_UNAVAILABLE', {
          message: `Upstream server "${server}" is unavailable`,
          data: { server },
        }));
      }
      const answer = up.request(method, params, {
        ...(ctx.signal && { signal: ctx.signal }),
        ...(ctx.onProgress && { onProgress: ctx.onProgress }),
        // Notifications inside this call's answer belong to its caller alone.
        onNotification: (m: string, p: unknown) => this.relayToCaller(ctx, server, m, p),
        relay: ctx.relay ?? REFUSING_RELAY,
      });
      const validation = this.validation;
      // A malformed answer fails the call (ERR_UPSTREAM_ERROR, a `protocol` failure for the breaker).
      const checked = validation ? answer.then((result) => (validation.checkResult(server, method, result), result)) : answer;
      return checked.catch((err: unknown) => {
        if (!ctx.signal?.aborted) this.logFailure(up, method, err);
        throw err;
      });
    };
    if (!this.breakers) return call();
    // Through the server's circuit breaker: an open one refuses without touching the upstream.
    // A call the client cancelled says nothing about the upstream's health: it is marked as an abort.
    const signal = ctx.signal;
    return this.breakers.run(server, () =>
      call().catch((err: unknown) => {
        if (signal?.aborted) throw Object.assign(new Error('cancelled by the client', { cause: err }), { name: 'AbortError' });
        throw err;
      }),
    );
  }


  /** Why an upstream call failed, where an operator looks: the server, the method, its address (no credentials). */
  private logFailure(up: Upstream, method: string, err: unknown): void {
    const e = err as { code?: unknown; detail?: unknown; message?: unknown };
    const code = isUpstreamRpcError(err) ? 'upstream JSON-RPC error' : typeof e.code === 'string' ? e.code : 'error';
    this.logger.warn('Upstream call failed', {
      server: up.id,
      method,
      address: upstreamAddress(up.config),
      code,
      reason: truncateLine(String(e.detail ?? e.message ?? err)),
    });
  }

  // -- upstream events -----------------------------------------------------

  private catalogInputs() {
    return [...this.upstreams.values()].map((u) => ({ id: u.id, config: u.config, catalog: u.catalog() }));
  }

  private watch(u: Upstream): void {
    this.states.set(u.id, u.status().state);
    const onState = (s: UpstreamStatus) => this.states.set(u.id, s.state);
    const onCatalog = () => this.rebuild();
    const onNotification = (method: string, params: unknown) => this.relayNotification(u.id, method, params);
    u.on('state', onState);
    u.on('catalog', onCatalog);
    u.on('notification', onNotification);
    this.detach.push(() => {
      u.off('state', onState);
      u.off('catalog', onCatalog);
      u.off('notification', onNotification);
    });
  }

  /** Rebuilds after a list_changed; a new collision keeps the first owner (logged). */
  private rebuild(): void {
    const previous = this.catalog;
    const next = buildCatalog(this.catalogInputs(), { onCollision: 'keep-first', previous, logger: this.logger });
    this.catalog = next; // one reference swap: requests see the old or the new catalog, never a mix
    const tools = changedServers(previous.tools, next.tools);
    const prompts = changedServers(previous.prompts, next.prompts);
    const resources = new Set([...changedServers(previous.resources, next.resources), ...changedServers(previous.resourceTemplates, next.resourceTemplates)]);
    if (tools.size > 0) this.broadcast('notifications/tools/list_changed', tools);
    if (prompts.size > 0) this.broadcast('notifications/prompts/list_changed', prompts);
    if (resources.size > 0) this.broadcast('notifications/resources/list_changed', resources);
  }

  private relayNotification(server: string, method: string, params: unknown): void {
    const p = isObject(params) ? params : {};
    if (method === 'notifications/resources/updated') {
      if (typeof p.uri !== 'string') return;
      // Subscribers were authorized when they subscribed; they must still be allowed to observe the server now.
      for (const id of this.subscriptions.subscribers(p.uri, server)) {
        const conn = this.connections.get(id);
        if (conn) this.deliver(conn, server, method, p);
      }
    } else if (method === 'notifications/message') {
      const out = attributed(server, p);
      const level = LOG_LEVELS.indexOf(String(p.level));
      for (const conn of this.connections.values()) if (level >= conn.minLevel) this.deliver(conn, server, method, out);
    }
    // list_changed is turned into `catalog` events by the upstream; progress rides the call.
  }

  /** A notification that arrived inside one call's answer: to that caller only, never to others. */
  private relayToCaller(ctx: CallerContext, server: string, method: string, params: unknown): void {
    if (method !== 'notifications/message') return;
    const conn = ctx.connectionId === undefined ? undefined : this.connections.get(ctx.connectionId);
    const p = isObject(params) ? params : {};
    if (conn && LOG_LEVELS.indexOf(String(p.level)) >= conn.minLevel) conn.sink.notify(method, attributed(server, p));
  }

  /** A list changed on `servers`: told to the connections that may observe one of them. */
  private broadcast(method: string, servers: ReadonlySet<string>): void {
    for (const conn of this.connections.values()) {
      if (conn.sink.listening === false) continue;
      conn.queue = conn.queue.then(async () => {
        for (const server of servers) {
          if (await this.mayObserve(conn, server)) return conn.sink.notify(method);
        }
      });
    }
  }
}

/** Attributes a log message to its upstream, so clients can tell servers apart. */
function attributed(server: string, p: Result): Result {
  return { ...p, logger: typeof p.logger === 'string' ? `${server}/${p.logger}` : server };
}

/** An upstream's address for logs: the URL without credentials or query, or the command it runs. */
function upstreamAddress(config: ServerConfig): string {
  return config.url ? safeUrl(config.url) : `stdio:${config.command ?? '?'}`;
}

function isObject(v: unknown): v is Result {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Params as they go upstream: without the downstream progress token and the
 * 2026-07-28 envelope keys, which belong to the downstream exchange (the
 * upstream layer sets its own).
 */
function forwardable(params: Result): Result {
  const meta = params._meta;
  if (!isObject(meta)) return params;
  const kept: Result = {};
  let any = false;
  for (const k of Object.keys(meta)) {
    if (k === 'progressToken' || k.startsWith('io.modelcontextprotocol/')) continue;
    kept[k] = meta[k];
    any = true;
  }
  const { _meta: _dropped, ...rest } = params;
  return any ? { ...rest, _meta: kept } : rest;
}

function requireUri(params: Result): string {
  if (typeof params.uri !== 'string') throw new HatagoError('ERR_INVALID_PARAMS', { message: 'params.uri must be a string' });
  return params.uri;
}

function requireConnection(ctx: CallerContext): string {
  if (ctx.connectionId === undefined) {
    throw new HatagoError('ERR_INVALID_REQUEST', { message: 'Resource subscriptions need a session' });
  }
  return ctx.connectionId;
}

function tryRoute(cat: AggregatedCatalog, uri: string): { ok: true; server: string } | { ok: false; error: unknown } {
  try {
    return { ok: true, server: routeResource(cat, uri).server };
  } catch (error) {
    return { ok: false, error };
  }
}
