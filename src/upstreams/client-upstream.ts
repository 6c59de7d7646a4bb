import path from 'node:path';
import { EventEmitter } from 'node:events';
import { Client, ProtocolError, SdkError, SdkErrorCode, SdkHttpError, type RequestOptions } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { callContext, newCallContext } from './call-context.js';
import type { ServerConfig } from '../config/types.js';
import { ERROR_CODES, HatagoError } from '../errors/index.js';
import { silentLogger } from '../log/logger.js';
import { backoffDelay } from './backoff.js';
import { dropServerInfoStamp } from './server-info-stamp.js';
import { HttpSessionTransport, MAX_IN_STREAM_REQUESTS, SESSION_VERSIONS } from './http-session-transport.js';
import { HttpStatusError } from './keep-alive-http.js';
import { timeoutError, unavailableError, upstreamError, UpstreamRpcError } from './errors.js';
import { UpstreamResultValidator } from '../validation/upstream-results.js';
import { emptyCatalog, LIST_METHOD, listAll, type CatalogKind } from './list-catalog.js';
import { openTransport, transportKind, type TransportKind } from './open-transport.js';
import { safeUrl, shortReason, truncateLine } from './redact.js';
import { ProgressTap } from './progress-tap.js';
import { RESPONSE_TOO_LARGE, responseLimits, responseTooLarge, ResponseTooLargeError, type ResponseLimits } from './response-limits.js';
import { admit, RELAYED_METHODS, RelayRouter, type RelayChoice } from './relay-router.js';
import { CallNotifier, completeInputRequired, isModernEra, ListenSubscriptions, withLogLevel } from './modern-era.js';
import type {
  ClientRelay,
  Upstream,
  UpstreamCallOptions,
  UpstreamCatalog,
  UpstreamLogger,
  UpstreamOptions,
  UpstreamState,
  UpstreamStatus,
} from './types.js';

const CLIENT_INFO = { name: 'hatago', version: '0.1.0' };
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const LIVENESS_TIMEOUT_MS = 5_000;

/**
 * Results are checked once, by the hub, against its JSON Schemas
 * (src/validation/result-schemas.ts: the one schema source); the SDK client
 * is asked for any object, so it adds no second check of its own.
 */
const AnyResult = z.looseObject({});
/** The same schemas, for the listings read into the catalog (compiled once, on first use). */
let listingChecks: UpstreamResultValidator | undefined;

const LIST_CHANGED: Record<string, CatalogKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/**
 * One upstream MCP server behind an SDK 2.x Client, over stdio, Streamable
 * HTTP or legacy SSE. Every (re)connection is a fresh Client and transport,
 * so a reconnect always initializes (or discovers) again: this is what makes
 * "the old session is gone (404)" and "the child process was restarted" the
 * same, simple case.
 */
export class ClientUpstream extends EventEmitter implements Upstream {
  readonly id: string;
  readonly config: ServerConfig;
  private readonly kind: TransportKind;
  private readonly log: UpstreamLogger;
  private readonly defaultTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly relays: RelayRouter;
  private readonly progress = new ProgressTap();
  /** 2026-07-28 upstreams: resource subscriptions as listen streams, in-call log messages to their caller. */
  private readonly listens: ListenSubscriptions;
  private readonly notifier = new CallNotifier();
  private readonly limits: ResponseLimits;

  private state: UpstreamState = 'starting';
  private since = new Date().toISOString();
  private lastError: string | undefined;
  private protocolVersion: string | undefined;
  private restarts = 0;
  private everReady = false;
  private cat: UpstreamCatalog = emptyCatalog();

  private client: Client | undefined;
  /** Bumped on every connection attempt, loss and stop; stale callbacks compare and bail out. */
  private generation = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private checkingLiveness = false;
  private warnedResultType = false;
  private refreshChain: Promise<void> = Promise.resolve();

  constructor(id: string, config: ServerConfig, opts: UpstreamOptions = {}) {
    super();
    this.id = id;
    this.config = config;
    this.kind = transportKind(config);
    this.log = opts.logger ?? silentLogger;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.backoff = { initialMs: opts.backoff?.initialMs ?? 500, maxMs: opts.backoff?.maxMs ?? 30_000 };
    this.limits = responseLimits(config);
    // A call that ended unanswered may still get requests for as long as it could have run.
    this.relays = new RelayRouter(config.timeoutMs ?? this.defaultTimeoutMs);
    this.listens = new ListenSubscriptions(id);
  }

  status(): UpstreamStatus {
    return {
      id: this.id,
      transport: this.kind,
      state: this.state,
      ...(this.protocolVersion ? { protocolVersion: this.protocolVersion } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      restarts: this.restarts,
      since: this.since,
      counts: {
        tools: this.cat.tools.length,
        prompts: this.cat.prompts.length,
        resources: this.cat.resources.length,
        resourceTemplates: this.cat.resourceTemplates.length,
      },
    };
  }

  catalog(): UpstreamCatalog {
    return this.cat;
  }

  /** Resolves after the first attempt, whatever its outcome; failures are retried in the background. */
  async start(): Promise<void> {
    this.stopping = false;
    this.attempt = 0;
    this.setState('starting');
    await this.attemptConnect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.listens.closeAll();
    this.setState('stopped');
    await client?.close().catch(() => undefined);
  }

  async request(method: string, params: Record<string, unknown> | undefined, opts: UpstreamCallOptions = {}): Promise<Record<string, unknown>> {
    const client = this.client;
    if (this.state !== 'ready' || !client) throw unavailableError(this.id);
    if (opts.signal?.aborted) throw opts.signal.reason;
    const timeoutMs = opts.timeoutMs ?? this.config.timeoutMs ?? this.defaultTimeoutMs;
    const gen = this.generation;
    const reqOpts: RequestOptions = { timeout: timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) };
    // Progress goes through the tap (progress-tap.ts), under a token of ours.
    const progress = opts.onProgress ? this.progress.open(opts.onProgress) : undefined;
    const sent = progress ? withProgressToken(params, progress.token) : params;
    const end = this.relays.begin(opts.relay);
    const call = newCallContext(opts.relay, opts.onNotification, opts.trace);
    let answered = false;
    try {
      const endNotify = isModernEra(this.protocolVersion) ? this.notifier.begin(opts.onNotification) : undefined;
      try {
        // Inside the call's context: what the upstream sends within this call's answer is attributed to it (call-context.ts).
        const result = await callContext.run(call, () => (endNotify ? this.modernRequest(client, method, sent, reqOpts, opts) : send(client, method, sent, reqOpts)));
        answered = true;
        return result;
      } finally {
        endNotify?.();
      }
    } catch (err) {
      // A JSON-RPC error is an answer too: the upstream is done with the call.
      if (ProtocolError.isInstance(err)) answered = true;
      throw this.mapCallError(err, gen, timeoutMs, opts.signal);
    } finally {
      if (!answered) call.closeAnswer?.();
      progress?.close();
      end(answered);
    }
  }

  /**
   * A forwarded request to a 2026-07-28 upstream (modern-era.ts): subscriptions
   * become listen streams; everything else names a log level and is driven
   * through input_required rounds, each embedded request answered by this
   * call's own client.
   */
  private modernRequest(client: Client, method: string, params: Record<string, unknown> | undefined, reqOpts: RequestOptions, call: UpstreamCallOptions): Promise<Record<string, unknown>> {
    // The listen stream outlives the call that opened it and belongs to no call: opened outside the call's context.
    if (this.listens.handles(method)) return callContext.exit(() => this.listens.request(client, method, params, reqOpts));
    const signal = call.signal ?? new AbortController().signal;
    return completeInputRequired(
      this.id,
      (p) => send(client, method, withLogLevel(p), { ...reqOpts, allowInputRequired: true }),
      params,
      (m, p) => {
        const choice: RelayChoice = RELAYED_METHODS.includes(m) ? admit(call.relay, m) : { refuse: `${m} is not a request an upstream may make of a client` };
        return this.relay(choice, m, p, signal);
      },
    );
  }

  // --- connection lifecycle ---

  private async attemptConnect(): Promise<void> {
    const gen = ++this.generation;
    try {
      await this.connectOnce(gen);
    } catch (err) {
      if (this.stopping || gen !== this.generation) return;
      this.lastError = shortReason(err, this.config);
      this.setState(this.everReady ? 'unavailable' : 'failed');
      const delay = this.scheduleRetry();
      this.log.warn(this.everReady ? 'Upstream reconnect failed' : 'Upstream failed to start', {
        server: this.id, transport: this.kind, address: this.address(), reason: this.lastError, retryInMs: delay,
      });
      return;
    }
    if (this.everReady) this.restarts++;
    this.everReady = true;
    this.attempt = 0;
    this.lastError = undefined;
    this.setState('ready');
    this.log.info('Upstream ready', {
      server: this.id, transport: this.kind, protocolVersion: this.protocolVersion, tools: this.cat.tools.length, restarts: this.restarts,
    });
  }

  /** Where the upstream is, for logs: its URL without credentials or query, or the command's file name (never its args or env). */
  private address(): string {
    if (this.config.url !== undefined) return safeUrl(this.config.url);
    return path.basename(this.config.command ?? '');
  }

  private scheduleRetry(): number {
    const delay = backoffDelay(this.attempt++, this.backoff.initialMs, this.backoff.maxMs);
    clearTimeout(this.retryTimer);
    // Outside any call: a reconnect that a call's failure set off must not run (and read its new streams) in that call's context.
    this.retryTimer = callContext.exit(() => setTimeout(() => void this.attemptConnect(), delay));
    this.retryTimer.unref();
    return delay;
  }

  private async connectOnce(gen: number): Promise<void> {
    const opened = openTransport(this.config);
    const client = new Client(CLIENT_INFO, {
      // Declared so upstreams may ask; each request is then relayed or refused (relay-router.ts).
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
      versionNegotiation: { mode: opened.negotiation },
    });
    for (const method of RELAYED_METHODS) {
      client.setRequestHandler(method as 'sampling/createMessage', ((req: { params?: unknown }, ctx: { mcpReq: { signal: AbortSignal } }) =>
        this.relayToClient(method, req.params, ctx.mcpReq.signal)) as never);
    }
    client.fallbackNotificationHandler = async (n) => {
      // A 2026-07-28 upstream's log messages were delivered from the transport tap (attributeModernLog).
      if (n.method === 'notifications/message' && isModernEra(this.protocolVersion)) return;
      // list_changed concerns everyone (the catalog); anything else inside a call's answer is that caller's.
      const call = this.kind === 'http' ? callContext.getStore() : undefined;
      if (call?.onNotification && !LIST_CHANGED[n.method]) call.onNotification(n.method, n.params);
      else this.onNotification(gen, n.method, n.params);
    };
    // The tap delivers progress (in wire order); the SDK's own progress handling is not used.
    client.setNotificationHandler('notifications/progress', () => undefined);
    opened.transport.onmessage = (message) => {
      this.progress.observe(message);
      this.attributeModernLog(gen, message);
      this.completeResultType(message, client);
      dropServerInfoStamp(message);
    };
    client.onclose = () => this.lost(gen, 'connection closed');
    client.onerror = (err) => this.onTransportError(gen, err);
    if (opened.transport instanceof HttpSessionTransport) {
      opened.transport.ondrop = (method) =>
        this.log.warn('Upstream request inside an answer dropped: too many at once', { server: this.id, method, max: MAX_IN_STREAM_REQUESTS });
    }
    if (opened.stderr) pipeStderrToDebug(opened.stderr, this.log, this.id);

    try {
      await client.connect(opened.transport, { timeout: this.connectTimeoutMs });
      if (gen !== this.generation) throw new Error('superseded');
      this.client = client;
      this.protocolVersion = client.getNegotiatedProtocolVersion();
      await this.refresh(client, Object.keys(LIST_METHOD) as CatalogKind[]);
    } catch (err) {
      if (this.client === client) this.client = undefined;
      await client.close().catch(() => undefined);
      throw err;
    }
  }

  /** A ready upstream went away: keep the catalog, fail calls fast, reconnect/restart with backoff. */
  private lost(gen: number, reason: string): void {
    if (gen !== this.generation || this.state !== 'ready' || this.stopping) return;
    this.generation++;
    const old = this.client;
    this.client = undefined;
    this.lastError = reason;
    this.attempt = 0;
    this.listens.closeAll();
    this.setState('unavailable');
    const delay = this.scheduleRetry();
    this.log.warn('Upstream lost', { server: this.id, transport: this.kind, address: this.address(), reason, retryInMs: delay });
    void old?.close().catch(() => undefined);
  }

  /** Transport errors (a dropped SSE stream, a 404 session) may or may not mean the upstream is gone: ask it. */
  private onTransportError(gen: number, err: Error): void {
    if (gen !== this.generation || this.state !== 'ready') return;
    this.log.debug('Upstream transport error', { server: this.id, reason: shortReason(err, this.config) });
    void this.checkLiveness(gen);
  }

  private async checkLiveness(gen: number): Promise<void> {
    const client = this.client;
    if (this.checkingLiveness || !client) return;
    this.checkingLiveness = true;
    try {
      // Outside any call: the check is the hub's own, whatever call's answer set it off.
      // 2026-07-28 has no ping: server/discover answers the same question.
      await callContext.exit(() => (isModernEra(this.protocolVersion) ? client.discover({ timeout: LIVENESS_TIMEOUT_MS }) : client.ping({ timeout: LIVENESS_TIMEOUT_MS })));
    } catch (err) {
      // A JSON-RPC error answer still proves the upstream is there.
      if (!ProtocolError.isInstance(err)) this.lost(gen, shortReason(err, this.config));
    } finally {
      this.checkingLiveness = false;
    }
  }

  private mapCallError(err: unknown, gen: number, timeoutMs: number, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason ?? err;
    // Already decided by the hub's own code (modern-era.ts): passed on as it is.
    if (err instanceof UpstreamRpcError || err instanceof HatagoError) return err;
    if (ProtocolError.isInstance(err)) {
      // The transport's stand-in for an answer it refused to read whole (child-stdio-transport.ts).
      if ((err.data as { reason?: unknown } | undefined)?.reason === RESPONSE_TOO_LARGE) return responseTooLarge(this.id, this.limits, err.message);
      return new UpstreamRpcError(this.id, err.code, err.message, err.data);
    }
    if (SdkError.isInstance(err) && err.code === SdkErrorCode.RequestTimeout) return timeoutError(this.id, timeoutMs);
    // Refused by the SDK before anything was sent: the method does not exist in the upstream's revision.
    if (SdkError.isInstance(err) && err.code === SdkErrorCode.MethodNotSupportedByProtocolVersion) return new UpstreamRpcError(this.id, -32601, err.message);
    const reason = shortReason(err, this.config);
    // Only this call's answer was too large: the upstream itself is fine.
    if (err instanceof ResponseTooLargeError) return responseTooLarge(this.id, this.limits, reason);
    if ((SdkHttpError.isInstance(err) || err instanceof HttpStatusError) && err.status === 404) {
      // The upstream no longer knows our session (it restarted): start over with a fresh initialize.
      this.lost(gen, 'session not found (404)');
      return unavailableError(this.id, reason);
    }
    if (SdkError.isInstance(err) && (err.code === SdkErrorCode.ConnectionClosed || err.code === SdkErrorCode.NotConnected)) {
      this.lost(gen, reason);
      return unavailableError(this.id, reason);
    }
    if (SdkError.isInstance(err) && (err.code === SdkErrorCode.InvalidResult || err.code === SdkErrorCode.UnsupportedResultType)) {
      return upstreamError(this.id, reason);
    }
    // Anything else is the transport failing (fetch errors, dropped streams;
    // `instanceof TypeError` is unreliable across realms): find out whether
    // the upstream is still there, and fail this call as unavailable (an
    // HTTP status is kept for the breaker: 401/403 are `auth`).
    void this.checkLiveness(gen);
    return unavailableError(this.id, reason, err instanceof HttpStatusError ? err : undefined);
  }

  /**
   * Liberal where it costs no safety: a 2026-07-28 result that is otherwise
   * valid but lacks `resultType` is taken as complete (what an earlier-revision
   * result means), instead of failing the call; logged once per upstream.
   * Runs on the raw message before the SDK decodes it.
   */
  private completeResultType(message: unknown, client: Client): void {
    const m = message as { id?: unknown; method?: unknown; result?: unknown };
    if (m.method !== undefined || m.id === undefined || typeof m.result !== 'object' || m.result === null || Array.isArray(m.result)) return;
    const result = m.result as Record<string, unknown>;
    if ('resultType' in result) return;
    const version = client.getNegotiatedProtocolVersion();
    if (version === undefined || SESSION_VERSIONS.has(version)) return;
    result.resultType = 'complete';
    if (this.warnedResultType) return;
    this.warnedResultType = true;
    this.log.warn('Upstream results lack resultType; taken as complete', { server: this.id, protocolVersion: version });
  }

  /**
   * A 2026-07-28 upstream logs only inside calls: to that call's client, or
   * to nobody. Decided on the raw message as it arrives, while its call is
   * still in flight (the SDK dispatches notifications later than it settles
   * the call they came with).
   */
  private attributeModernLog(gen: number, message: unknown): void {
    const m = message as { id?: unknown; method?: unknown; params?: unknown };
    if (m.method !== 'notifications/message' || m.id !== undefined || gen !== this.generation || !isModernEra(this.protocolVersion)) return;
    const target = this.notifier.target();
    if (target) target(m.method, m.params);
    else this.log.debug('Upstream log message dropped: no single call it belongs to', { server: this.id });
  }

  // --- catalog ---

  private async refresh(client: Client, kinds: CatalogKind[]): Promise<void> {
    const caps = client.getServerCapabilities() ?? {};
    listingChecks ??= new UpstreamResultValidator();
    const checks = listingChecks;
    const sendList = async (method: string, params: Record<string, unknown>) => {
      const page = await send(client, method, params, { timeout: this.connectTimeoutMs });
      checks.check(this.id, method, page);
      return page;
    };
    const lists = await Promise.all(
      kinds.map(async (kind) => [kind, caps[LIST_METHOD[kind].capability as keyof typeof caps] ? await listAll(sendList, kind) : []] as const),
    );
    const next = { ...this.cat };
    for (const [kind, items] of lists) next[kind] = items;
    this.cat = next;
    this.emit('catalog', this.cat);
  }

  private onNotification(gen: number, method: string, params: unknown): void {
    if (gen !== this.generation) return;
    // Delivered from the transport tap (attributeModernLog), in wire order.
    if (method === 'notifications/message' && isModernEra(this.protocolVersion)) return;
    const kinds = LIST_CHANGED[method];
    if (!kinds) {
      this.emit('notification', method, params);
      return;
    }
    // Serialized so an older listing never overwrites a newer one; outside the
    // call whose answer carried the notification (the listing is not that call's).
    this.refreshChain = callContext.exit(() => this.refreshChain.then(async () => {
      const client = this.client;
      if (!client || gen !== this.generation) return;
      await this.refresh(client, kinds).catch((err: unknown) =>
        this.log.warn('Upstream list refresh failed', { server: this.id, reason: shortReason(err, this.config) }));
    }));
  }

  // --- upstream → client requests ---

  /**
   * A request the SDK client received. Over HTTP, one inside a call's answer
   * stream belongs to that call (call-context.ts) and goes to its client;
   * one outside (the standing GET stream) belongs to no call and is refused.
   * Over the single-channel transports (stdio, legacy SSE) the router
   * attributes it when it can.
   */
  private async relayToClient(method: string, params: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (this.kind !== 'http') return this.relay(this.relays.choose(method), method, params, signal);
    const call = callContext.getStore();
    if (!call) return this.relay({ refuse: 'it arrived outside the answer stream of any call, so it belongs to no caller' }, method, params, signal);
    return this.relay(admit(call.relay, method), method, params, signal);
  }

  private async relay(choice: RelayChoice, method: string, params: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    if ('refuse' in choice) {
      this.log.warn('Upstream request to the client refused', { server: this.id, method, reason: choice.refuse });
      this.emit('relay_refused', { method, reason: choice.refuse });
      throw new ProtocolError(ERROR_CODES.ERR_CLIENT_CAPABILITY.rpc, `hatago refused ${method} from upstream "${this.id}": ${choice.refuse}`);
    }
    try {
      return await choice.relay.request(method, params, signal);
    } catch (err) {
      // Keep the downstream client's JSON-RPC error as it was.
      const e = err as { code?: unknown; message?: unknown; data?: unknown };
      if (typeof e.code === 'number') throw new ProtocolError(e.code, String(e.message ?? 'Client error'), e.data);
      throw err;
    }
  }

  private setState(state: UpstreamState): void {
    if (this.state === state) return;
    this.state = state;
    this.since = new Date().toISOString();
    this.emit('state', this.status());
  }
}

function withProgressToken(params: Record<string, unknown> | undefined, token: string): Record<string, unknown> {
  const meta = params?._meta !== null && typeof params?._meta === 'object' ? (params._meta as Record<string, unknown>) : {};
  return { ...params, _meta: { ...meta, progressToken: token } };
}

function send(client: Client, method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<Record<string, unknown>> {
  return client.request({ method, ...(params === undefined ? {} : { params }) }, AnyResult, opts);
}

/** stderr of a child goes to debug only, line by line and truncated: it may hold secrets. */
function pipeStderrToDebug(stream: NodeJS.ReadableStream, log: UpstreamLogger, server: string): void {
  let buf = '';
  stream.on('data', (chunk: Buffer | string) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trimEnd();
      buf = buf.slice(nl + 1);
      if (line) log.debug('Upstream stderr', { server, line: truncateLine(line) });
    }
    if (buf.length > 8192) buf = buf.slice(-8192);
  });
  stream.on('error', () => undefined);
}
