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
import type { CallerContext, ClientSink, GuardRequest, HubLogger, HubRequest, RequestGuard, UpstreamSource } from './types.js';
import type { UpstreamCallGate } from '../pipeline/breaker/stage.js';
import type { McpExchange, McpPlan, UpstreamCall } from '../pipeline/mcp-exchange.js';
import { createMcpRunner } from '../pipeline/mcp-stages.js';
import type { RateLimiting } from '../pipeline/rate-limit/rate-limiting.js';
import type { StageRunner } from '../pipeline/stage.js';
import type { HubMeasure } from '../metrics/instrument.js';
import type { DefinitionPins } from '../pinning/registry.js';
import { mcpMethod, type ListKey } from '../mcp/methods.js';
import type { Approvals } from '../approval/approvals.js';
import type { FlowRecorder } from '../flows/flow-history.js';

export type { UpstreamCallGate };

export interface HubOptions {
  upstreams: UpstreamSource | readonly Upstream[];
  /** The policy stage (PolicyGuard). */
  guard: RequestGuard;
  /** The rate-limit stage's counting; absent: nothing is counted. */
  rateLimits?: RateLimiting;
  /**
   * Asks the policy whether a connection may hear a server's notifications
   * ("server/observe"). Not rate limited: the hub asks it, not the client.
   * Default `guard`.
   */
  observer?: RequestGuard;
  /** Told each request's and each upstream call's duration and outcome (src/metrics hubMetrics). */
  measure?: HubMeasure;
  /** Opens each JSON-RPC request's span and returns its end (src/telemetry), when traces are on. */
  trace?: (x: McpExchange) => (error?: unknown) => void;
  /** Circuit breakers around every upstream call. */
  breakers?: UpstreamCallGate;
  /** Tool arguments and upstream answers checked against schemas (src/validation). */
  validation?: HubValidation;
  /** Definition pinning (src/pinning): facts for list candidates, calls and gets. */
  pins?: DefinitionPins;
  /** Approval as a policy outcome (src/approval): held calls wait here. */
  approvals?: Approvals;
  /** Flow history (src/flows): admitted calls, for input.session. */
  history?: FlowRecorder;
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
  /** The policy's answer per server ("server/observe"), until the policy changes. */
  observes: Map<string, Promise<boolean>>;
  /** Deliveries in order: each waits for the previous one's decision. */
  queue: Promise<void>;
}

export class Hub {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly states = new Map<string, UpstreamState>();
  private readonly observer: RequestGuard;
  /** The MCP stages, in lifecycle order (src/pipeline). */
  readonly runner: StageRunner<McpExchange>;
  private readonly validation: HubValidation | undefined;
  private readonly pins: DefinitionPins | undefined;
  private readonly history: FlowRecorder | undefined;
  private readonly measure: HubMeasure | undefined;
  private readonly trace: ((x: McpExchange) => (error?: unknown) => void) | undefined;
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
    this.observer = opts.observer ?? opts.guard;
    this.runner = createMcpRunner({
      guard: opts.guard,
      ...(opts.rateLimits && { rateLimits: opts.rateLimits }),
      ...(opts.validation && { validation: opts.validation }),
      ...(opts.breakers && { breakers: opts.breakers }),
      callUpstream: (x, call) => this.callUpstream(x, call),
      ...(opts.approvals && { approvals: opts.approvals }),
      ...(opts.history && { history: opts.history }),
      logger: opts.logger,
    });
    this.validation = opts.validation;
    this.pins = opts.pins;
    this.history = opts.history;
    this.measure = opts.measure;
    this.trace = opts.trace;
    this.logger = opts.logger;
    this.identity = opts.identity ?? DEFAULT_IDENTITY;
    this.instructions = opts.instructions;
    this.catalog = buildCatalog(this.catalogInputs(), { onCollision: 'throw', logger: this.logger });
    this.pins?.observe(this.catalog);
    for (const u of this.upstreams.values()) this.watch(u);
  }

  // -- connections (sessions, stdio) ---------------------------------------

  /**
   * Registers a client for notifications; returns the function that
   * disconnects it. A server's notifications reach it only when the policy
   * lets `caller` observe that server.
   */
  connect(connectionId: string, sink: ClientSink, caller: () => CallerContext): (ended?: boolean) => void {
    this.connections.set(connectionId, { sink, caller, observedAs: undefined, observes: new Map(), queue: Promise.resolve() });
    return (ended = true) => this.disconnect(connectionId, ended);
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

  /**
   * Delivers to `conn`, in order, if it may observe `server`; or, while
   * another replica holds the client's stream, hands it to that replica
   * undecided (`local`: a message another replica handed here, never passed on).
   */
  private deliver(conn: Connection, server: string, method: string, params?: Result, local = false): void {
    if (conn.sink.listening === false) return; // nothing would reach it: no decision, no queue
    conn.queue = conn.queue.then(async () => {
      const away = conn.sink.elsewhere;
      if (away) {
        if (!local) away([server], method, params);
      } else if (await this.mayObserve(conn, server)) {
        conn.sink.notify(method, params);
      }
    });
  }

  /**
   * A notification another replica's upstream raised for connection
   * `connectionId`, whose stream this replica holds: decided here, for the
   * principal of the stream, as if this replica's upstream had sent it.
   */
  deliverFromReplica(connectionId: string, servers: readonly string[], method: string, params?: Result): void {
    const conn = this.connections.get(connectionId);
    const known = servers.filter((s) => this.upstreams.has(s));
    if (!conn || known.length === 0 || conn.sink.elsewhere || conn.sink.listening === false) return;
    if (method === 'notifications/message' && LOG_LEVELS.indexOf(String(params?.level)) < conn.sink.logLevel) return;
    if (known.length === 1) return this.deliver(conn, known[0]!, method, params, true);
    // A list change of several servers: told once if any of them may be observed.
    conn.queue = conn.queue.then(async () => {
      for (const server of known) if (await this.mayObserve(conn, server)) return conn.sink.notify(method, params);
    });
  }

  /** Whether connection `connectionId` holds resource subscriptions here (its copy must stay while it does). */
  hasSubscriptions(connectionId: string): boolean {
    return this.subscriptions.hasClient(connectionId);
  }

  /** `forget` false: only this process's copy of a shared session went away; its flow history stays. */
  private disconnect(connectionId: string, forget = true): void {
    if (!this.connections.delete(connectionId)) return;
    if (forget) this.history?.forget(connectionId); // a session's flow history ends with it
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

  /** One JSON-RPC request: resolved to its plan, then run through the MCP stages. */
  async handle(req: HubRequest, ctx: CallerContext): Promise<Result> {
    const params = req.params ?? {};
    const exchange: McpExchange = { caller: ctx, method: req.method, params, plan: this.plan(req.method, params, ctx) };
    const started = performance.now();
    const endSpan = this.observed(() => this.trace?.(exchange));
    let failure: unknown;
    try {
      await this.runner.run(exchange);
    } catch (err) {
      failure = err;
    }
    this.observed(() => {
      this.measure?.request(ctx.transport, req.method, performance.now() - started, failure);
      endSpan?.(failure);
    });
    if (failure !== undefined) throw failure;
    return exchange.result ?? {};
  }

  /** Metrics and traces never decide: one that throws is logged, the request goes on. */
  private observed<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.logger.warn('metrics or trace hook failed', { error: String(err) });
      return undefined;
    }
  }

  /**
   * A request that is not MCP but is decided like one (GET /health/details,
   * /metrics): the policy and rate-limit stages for `method`, then `answer`.
   */
  async admit(ctx: CallerContext, method: string, answer: () => Result = () => ({}), facts: Omit<GuardRequest, 'method'> = {}): Promise<Result> {
    const exchange: McpExchange = { caller: ctx, method, params: {}, plan: { guard: { ...facts, method }, answer } };
    await this.runner.run(exchange);
    return exchange.result ?? {};
  }

  /** What a request resolves to in the catalog now; nothing is decided or sent here. */
  private plan(method: string, params: Result, ctx: CallerContext): McpPlan {
    const spec = mcpMethod(method);
    switch (spec?.kind) {
      case 'list':
        return this.planList(method, spec.listKey!);
      case 'named':
        return this.planNamed(method, params);
      case 'resource':
        return this.planResource(method, params, ctx);
      case 'complete':
        return this.planComplete(params);
      default:
        break;
    }
    switch (method) {
      case 'initialize':
        return {
          guard: { method },
          answer: () => ({
            protocolVersion: negotiateLegacyVersion(params.protocolVersion),
            capabilities: legacyCapabilities(),
            serverInfo: { ...this.identity },
            ...(this.instructions !== undefined && { instructions: this.instructions }),
          }),
        };
      case 'server/discover':
        return {
          guard: { method },
          answer: () => ({
            supportedVersions: [MODERN_PROTOCOL_VERSION, ...LEGACY_PROTOCOL_VERSIONS],
            capabilities: modernCapabilities(),
            serverInfo: { ...this.identity },
            ...(this.instructions !== undefined && { instructions: this.instructions }),
          }),
        };
      case 'ping':
        return { guard: { method }, answer: () => ({}) };
      case 'logging/setLevel':
        return this.planSetLevel(params, ctx);
      default:
        return { guard: { method }, failure: new HatagoError('ERR_METHOD_NOT_FOUND', { data: { method } }), answer: () => ({}) };
    }
  }

  /** List methods: the policy sees every candidate and returns what this caller may see. */
  private planList(method: string, key: ListKey): McpPlan {
    this.pins?.refresh();
    const list = this.catalog[key];
    return {
      guard: { method, candidates: this.pins ? this.pins.candidates(list) : list.candidates },
      answer: (x) => {
        const visible = x.decision?.visible;
        const out: unknown[] = [];
        // Fail closed: no `visible` shows nothing.
        if (visible) for (const e of list.entries) if (visible.has(e.exposed)) out.push(e.item);
        return { [key]: out };
      },
    };
  }

  /** tools/call and prompts/get: route by exposed name, forward under the local name. */
  private planNamed(method: string, params: Result): McpPlan {
    const list = method === 'tools/call' ? this.catalog.tools : this.catalog.prompts;
    const exposed = typeof params.name === 'string' ? params.name : undefined;
    const entry = exposed === undefined ? undefined : list.index.get(exposed);
    const args = isObject(params.arguments) ? params.arguments : undefined;
    this.pins?.refresh();
    const definition = entry && this.pins?.fact(entry);
    const annotations = method === 'tools/call' && entry && isObject(entry.item.annotations) ? entry.item.annotations : undefined;
    const guard: GuardRequest = {
      method,
      ...(entry && { server: entry.server, name: entry.local }),
      ...(exposed !== undefined && { exposed }),
      ...(args && { arguments: args }),
      ...(definition && { definition }),
      ...(annotations && { annotations }),
      params,
    };
    if (exposed === undefined) return { guard, failure: new HatagoError('ERR_INVALID_PARAMS', { message: 'params.name must be a string' }), answer: passThrough };
    if (!entry) return { guard, failure: new HatagoError(method === 'tools/call' ? 'ERR_UNKNOWN_TOOL' : 'ERR_UNKNOWN_PROMPT', { data: { name: exposed } }), answer: passThrough };
    return {
      guard,
      // After policy and routing (a denied caller learns nothing of the schema), before the upstream.
      ...(method === 'tools/call' && { arguments: { server: entry.server, tool: entry.local, args } }),
      upstream: { server: entry.server, method, params: { ...forwardable(params), name: entry.local } },
      answer: passThrough,
    };
  }

  /** resources/read, subscribe, unsubscribe: route by URI (exact, then templates). */
  private planResource(method: string, params: Result, ctx: CallerContext): McpPlan {
    const uri = typeof params.uri === 'string' ? params.uri : undefined;
    const route = uri === undefined ? undefined : tryRoute(this.catalog, uri);
    const guard: GuardRequest = {
      method,
      ...(route?.ok && { server: route.server }),
      ...(uri !== undefined && { name: uri, exposed: uri }),
      ...(method !== 'resources/unsubscribe' && { params }),
    };
    const fail = (failure: unknown): McpPlan => ({ guard, failure, answer: passThrough });
    if (uri === undefined) return fail(new HatagoError('ERR_INVALID_PARAMS', { message: 'params.uri must be a string' }));
    if (method === 'resources/unsubscribe') {
      // Unknown URIs unsubscribe nothing (and say nothing of what exists).
      const client = ctx.connectionId;
      if (client === undefined) return fail(noSession());
      return {
        guard,
        answer: () => {
          if (route?.ok && this.subscriptions.remove(uri, client)) this.unsubscribeUpstream(route.server, uri);
          return {};
        },
      };
    }
    if (!route!.ok) return fail(route!.error);
    const server = route!.server;
    if (method === 'resources/read') return { guard, upstream: { server, method, params: forwardable(params) }, answer: passThrough };
    const client = ctx.connectionId;
    if (client === undefined) return fail(noSession());
    // One upstream subscription per URI, however many clients share it: the first
    // subscriber (decided when the call goes out, not when it is planned) subscribes upstream.
    return {
      guard,
      upstream: { server, method, params: { uri } },
      // A request whose client is gone (session closed meanwhile) leaves no subscriber behind.
      claim: () => ctx.signal?.aborted !== true && this.subscriptions.add(uri, server, client),
      unclaim: () => void this.subscriptions.remove(uri, client),
      answer: () => ({}),
    };
  }

  private unsubscribeUpstream(server: string, uri: string): void {
    const up = this.upstreams.get(server);
    if (!up || this.states.get(server) !== 'ready') return;
    up.request('resources/unsubscribe', { uri }).catch((err: unknown) => {
      this.logger.debug('upstream unsubscribe failed', { server, uri, error: String(err) });
    });
  }

  /** completion/complete: `ref/prompt` routes by exposed prompt name, `ref/resource` by URI (template). */
  private planComplete(params: Result): McpPlan {
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
    const guard: GuardRequest = {
      method: 'completion/complete',
      ...(kind !== undefined && { kind }),
      ...(server !== undefined && { server }),
      ...(name !== undefined && { name }),
      ...(exposed !== undefined && { exposed }),
      params,
    };
    if (failure || server === undefined) return { guard, failure: failure ?? new HatagoError('ERR_INVALID_PARAMS'), answer: passThrough };
    return { guard, upstream: { server, method: 'completion/complete', params: { ...forwardable(params), ref: forwardRef } }, answer: passThrough };
  }

  private planSetLevel(params: Result, ctx: CallerContext): McpPlan {
    const level = LOG_LEVELS.indexOf(String(params.level));
    return {
      guard: { method: 'logging/setLevel' },
      ...(level < 0 && { failure: new HatagoError('ERR_INVALID_PARAMS', { message: 'params.level is not a logging level' }) }),
      answer: () => {
        // Upstreams are shared by every client, so the level filters per client here.
        if (ctx.signal?.aborted) return {};
        const conn = ctx.connectionId === undefined ? undefined : this.connections.get(ctx.connectionId);
        if (conn) conn.sink.logLevel = level;
        return {};
      },
    };
  }

  /** The forward stage's call: one request to one upstream; one that is not ready fails at once, naming it. */
  private async callUpstream(x: McpExchange, call: UpstreamCall): Promise<Result> {
    const { server, method } = call;
    // The forward stage's span goes along: the upstream's span is its child (MCP's _meta trace context).
    const params = x.traceCarrier ? { ...call.params, _meta: { ...(isObject(call.params._meta) ? call.params._meta : {}), ...x.traceCarrier } } : call.params;
    const ctx = x.caller;
    const up = this.upstreams.get(server);
    if (!up || this.states.get(server) !== 'ready') {
      throw new HatagoError('ERR_UPSTREAM_UNAVAILABLE', { message: `Upstream server "${server}" is unavailable`, data: { server } });
    }
    // Tool series only for names the catalog has (bounded by it, and capped by the metrics).
    const tool = method === 'tools/call' ? x.plan.guard.exposed : undefined;
    const started = performance.now();
    let result: Result;
    try {
      result = await up.request(method, params, {
        ...(ctx.signal && { signal: ctx.signal }),
        ...(ctx.onProgress && { onProgress: ctx.onProgress }),
        // Notifications inside this call's answer belong to its caller alone.
        onNotification: (m: string, p: unknown) => this.relayToCaller(ctx, server, m, p),
        relay: ctx.relay ?? REFUSING_RELAY,
        ...(x.traceCarrier && { trace: x.traceCarrier }),
      });
      // A malformed answer fails the call (ERR_UPSTREAM_ERROR, a `protocol` failure for the breaker).
      this.validation?.checkResult(server, method, result);
    } catch (err) {
      const aborted = ctx.signal?.aborted === true;
      this.observed(() => this.measure?.upstream(server, method, tool, performance.now() - started, aborted ? Object.assign(new Error('cancelled'), { name: 'AbortError' }) : err));
      if (!aborted) this.logFailure(up, method, err);
      throw err;
    }
    this.observed(() => this.measure?.upstream(server, method, tool, performance.now() - started));
    return result;
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
    this.pins?.observe(next);
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
      for (const conn of this.connections.values()) if (level >= conn.sink.logLevel) this.deliver(conn, server, method, out);
    }
    // list_changed is turned into `catalog` events by the upstream; progress rides the call.
  }

  /** A notification that arrived inside one call's answer: to that caller only, never to others. */
  private relayToCaller(ctx: CallerContext, server: string, method: string, params: unknown): void {
    if (method !== 'notifications/message') return;
    const conn = ctx.connectionId === undefined ? undefined : this.connections.get(ctx.connectionId);
    const p = isObject(params) ? params : {};
    if (!conn || LOG_LEVELS.indexOf(String(p.level)) < conn.sink.logLevel) return;
    const away = conn.sink.elsewhere;
    if (away) away([server], method, attributed(server, p));
    else conn.sink.notify(method, attributed(server, p));
  }

  /**
   * A list changed on `servers`: told to the connections that may observe
   * one of them. A connection whose stream another replica holds gets one
   * hand-off naming them (that replica's upstreams may not have changed:
   * with stdio upstreams each replica runs its own).
   */
  private broadcast(method: string, servers: ReadonlySet<string>): void {
    for (const conn of this.connections.values()) {
      if (conn.sink.listening === false) continue;
      conn.queue = conn.queue.then(async () => {
        const away = conn.sink.elsewhere;
        if (away) return away([...servers], method);
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
const TRACE_KEYS = new Set(['traceparent', 'tracestate', 'baggage']);

function forwardable(params: Result): Result {
  const meta = params._meta;
  if (!isObject(meta)) return params;
  const kept: Result = {};
  let any = false;
  for (const k of Object.keys(meta)) {
    // The hub is the client's next hop: its own trace context (when traces are on) goes upstream, never the client's.
    if (k === 'progressToken' || k.startsWith('io.modelcontextprotocol/') || TRACE_KEYS.has(k)) continue;
    kept[k] = meta[k];
    any = true;
  }
  const { _meta: _dropped, ...rest } = params;
  return any ? { ...rest, _meta: kept } : rest;
}

/** The upstream's answer as it is. */
const passThrough = (_x: McpExchange, result?: Result): Result => result ?? {};

function noSession(): HatagoError {
  return new HatagoError('ERR_INVALID_REQUEST', { message: 'Resource subscriptions need a session' });
}

function tryRoute(cat: AggregatedCatalog, uri: string): { ok: true; server: string } | { ok: false; error: unknown } {
  try {
    return { ok: true, server: routeResource(cat, uri).server };
  } catch (error) {
    return { ok: false, error };
  }
}
