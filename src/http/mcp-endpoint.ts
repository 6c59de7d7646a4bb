// /mcp for both protocol revisions on one path. A request carrying
// Mcp-Session-Id is 2025-11-25 session traffic; anything else is classified
// by the SDK's own era classifier (`classifyInboundRequest`), so the routing
// never disagrees with what 2.x clients expect. The body is parsed once,
// here, and the parsed message goes to the hub as it is.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { envelopeHelp, HatagoError, JsonRpc, type ErrorCode } from '../errors/index.js';
import { toClientError } from '../hub/client-error.js';
import type { Hub } from '../hub/hub.js';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION } from '../hub/server-info.js';
import type { CallerContext, HubLogger, HubRequest, Principal } from '../hub/types.js';
import { discardEvents, type SecurityEventSink } from '../pipeline/security-events.js';
import { readSessionLimits, type SessionLimits } from './session-limits.js';
import { readJsonBody } from './body.js';
import type { CallerBase } from './caller.js';
import { LegacySession } from './legacy-session.js';
import { encodeModernResult } from './modern-encoding.js';
import { isObject, jsonRpcId, writeHttpError, writeJson } from './respond.js';
import { SseStream } from './sse.js';
import { preferredAnswerType } from './accept.js';
import { requestHeader as header } from '../util/incoming-request.js';
import { DEFAULT_LIMITS, MessageValidator, type StructureLimits } from '../validation/index.js';

/** Methods that reach an upstream, which may ask the client things mid-call. */
const FORWARDED = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

type Message = Record<string, unknown>;

function progressTokenOf(params: unknown): string | number | undefined {
  if (!isObject(params) || !isObject(params._meta)) return undefined;
  const t = params._meta.progressToken;
  return typeof t === 'string' || typeof t === 'number' ? t : undefined;
}

function acceptsSse(req: IncomingMessage): boolean {
  const a = header(req, 'accept');
  return a === null || a.includes('text/event-stream') || a.includes('*/*');
}

/** Whether the token behind a principal still holds (not expired, not revoked). */
export type TokenCheck = (principal: Principal) => Promise<'ok' | 'expired' | 'revoked'>;

type Verdict = 'ok' | 'expired' | 'revoked' | 'unverifiable';

/** How often sessions are checked for idleness and for revoked or expired tokens. */
const SWEEP_MS = 2000;
/** How often open GET streams get an SSE comment (a half-open connection is found when the write fails). */
const HEARTBEAT_MS = 15_000;

export interface McpEndpointOptions {
  hub: Hub;
  logger: HubLogger;
  /** With authentication: sessions and GET streams end when their token is revoked or expires. */
  tokenCheck?: TokenCheck;
  /** Receives `session_closed` (idle, token revoked or expired). */
  events?: SecurityEventSink;
  maxBodyBytes?: number;
  /** Structural limits of every body (default DEFAULT_LIMITS; `maxBodyBytes` above wins). */
  limits?: StructureLimits;
}

export class McpEndpoint {
  private readonly sessions = new Map<string, LegacySession>();
  private readonly hub: Hub;
  private readonly logger: HubLogger;
  private readonly maxBodyBytes: number | undefined;
  private readonly limits: StructureLimits;
  /** Envelope and params schemas, compiled once. */
  private readonly messages = new MessageValidator();
  private readonly tokenCheck: TokenCheck | undefined;
  private readonly events: SecurityEventSink;
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;
  private lastHeartbeat = Date.now();
  /** Sessions whose token the last sweep could not check (the revocation store did not answer). */
  private readonly unverified = new Set<string>();

  constructor(opts: McpEndpointOptions) {
    this.hub = opts.hub;
    this.logger = opts.logger;
    this.maxBodyBytes = opts.maxBodyBytes;
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.tokenCheck = opts.tokenCheck;
    this.events = opts.events ?? discardEvents;
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Ends every session (shutdown). */
  closeAll(): void {
    clearInterval(this.sweeper);
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }

  /**
   * Ends idle sessions, and sessions and GET streams whose token was revoked
   * or expired (checked every SWEEP_MS, so a logout ends a stream within
   * seconds). An ended session answers 404: its client initializes again.
   */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = Date.now();
      if (now - this.lastHeartbeat >= HEARTBEAT_MS) {
        this.lastHeartbeat = now;
        for (const session of this.sessions.values()) session.heartbeat();
      }
      // One check per token (by jti) per sweep, however many sessions hold it.
      const verdicts = new Map<unknown, Promise<Verdict>>();
      const verdict = (p: Principal | null): Promise<Verdict> => {
        if (!p || !this.tokenCheck) return Promise.resolve('ok');
        const key = p.claims.jti ?? p;
        let v = verdicts.get(key);
        if (!v) verdicts.set(key, (v = this.tokenCheck(p).catch(() => 'unverifiable' as const)));
        return v;
      };
      for (const session of [...this.sessions.values()]) {
        if (session.isIdle(now)) {
          await this.end(session, 'idle');
          continue;
        }
        // A store that cannot answer twice in a row counts as revoked (fail closed); once is a blip.
        let missed = false;
        const check = async (p: Principal | null): Promise<Verdict> => {
          const v = await verdict(p);
          if (v !== 'unverifiable') return v;
          missed = true;
          return this.unverified.has(session.id) ? v : 'ok';
        };
        const token = await check(session.principal);
        const stream = token === 'ok' && session.hasOpenStream ? await check(session.streamPrincipal) : 'ok';
        if (token !== 'ok' || stream !== 'ok') this.unverified.delete(session.id);
        if (token !== 'ok') {
          await this.end(session, `token_${token}`);
        } else if (stream !== 'ok') {
          session.endGetStream();
          await this.record(session, `stream_token_${stream}`);
        } else if (!missed) {
          this.unverified.delete(session.id);
        } else if (!this.unverified.has(session.id)) {
          this.unverified.add(session.id);
          this.logger.warn('token of a session could not be checked (revocation store unavailable); it ends if the next check fails too', { sessionId: session.id });
        }
      }
      for (const id of this.unverified) if (!this.sessions.has(id)) this.unverified.delete(id);
    } finally {
      this.sweeping = false;
    }
  }

  private async end(session: LegacySession, reason: string): Promise<void> {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    session.close();
    await this.record(session, reason);
  }

  private async record(session: LegacySession, reason: string): Promise<void> {
    this.logger.info('session ended', { sessionId: session.id, user: session.owner, reason });
    await this.events({ event: 'session_closed', user: session.owner, sessionId: session.id, metadata: { reason } }).catch((err: unknown) =>
      this.logger.error('audit record of an ended session failed', { error: String(err) }));
  }

  // -- POST ------------------------------------------------------------------

  async post(req: IncomingMessage, res: ServerResponse, base: CallerBase): Promise<void> {
    // Validation stage: nothing below reads a body that is not a well-formed
    // message within limits. One message per POST (no JSON-RPC batches).
    const body = await readJsonBody(req, this.maxBodyBytes ?? this.limits.maxBodyBytes, this.limits);
    this.messages.check(body);
    if (!isObject(body)) throw new HatagoError('ERR_INVALID_REQUEST');
    const sid = header(req, 'mcp-session-id');
    if (sid !== null) return this.postToSession(sid, body, req, res, base);

    const protocolVersion = header(req, 'mcp-protocol-version');
    const mcpMethod = header(req, 'mcp-method');
    const mcpName = header(req, 'mcp-name');
    const route = classifyInboundRequest({
      httpMethod: 'POST',
      body,
      ...(protocolVersion !== null && { protocolVersionHeader: protocolVersion }),
      ...(mcpMethod !== null && { mcpMethodHeader: mcpMethod }),
      ...(mcpName !== null && { mcpNameHeader: mcpName }),
    });
    if (route.kind === 'reject') {
      // The SDK's validation ladder answer (e.g. unsupported revision with the
      // versions we speak): clients negotiate from its exact code and data.
      // hatago's stable code rides beside the SDK's data (whose keys never include `code`).
      const id = isObject(body) ? jsonRpcId(body.id) : null;
      const data = { ...(isObject(route.data) ? route.data : route.data !== undefined && { detail: route.data }), code: ladderCode(route.code, route.message), ...envelopeHelp(route.data) };
      return writeJson(res, route.httpStatus, { jsonrpc: '2.0', id, error: { code: route.code, message: route.message, data } });
    }
    if (route.kind === 'modern') {
      const mismatch = nameHeaderMismatch(mcpName, route.message as unknown as Message);
      if (mismatch) return writeHttpError(res, mismatch, jsonRpcId(body.id));
      if (route.messageKind === 'notification') return void res.writeHead(202).end();
      return this.answer(route.message as unknown as Message, req, res, this.modernContext(base), true);
    }
    // Legacy without a session: only `initialize` may open one.
    if (!isObject(body) || body.jsonrpc !== '2.0' || typeof body.method !== 'string') throw new HatagoError('ERR_INVALID_REQUEST');
    if (body.method !== 'initialize' || body.id === undefined) throw new HatagoError('ERR_SESSION_REQUIRED');
    return this.initialize(body, res, base);
  }

  private async initialize(msg: Message, res: ServerResponse, base: CallerBase): Promise<void> {
    const id = jsonRpcId(msg.id);
    const owner = base.principal?.sub ?? null;
    const session = new LegacySession(owner, base.principal, owner ?? `anonymous:${base.client.ip ?? ''}`);
    const params = isObject(msg.params) ? msg.params : {};
    session.clientCapabilities = isObject(params.capabilities) ? params.capabilities : {};
    const ctx: CallerContext = { ...this.sessionContext(session, base) };
    let result: Record<string, unknown>;
    try {
      result = await this.hub.handle({ method: 'initialize', params, id }, ctx);
      // The policy allowed the session and says how many may be open and for how long idle.
      const limits = readSessionLimits(ctx.decision?.output, ctx.decision?.decisionId);
      this.admit(session, limits);
      session.idleTimeoutMs = limits.idleTimeoutMs;
    } catch (err) {
      const e = toClientError(err, id, this.logger);
      return writeJson(res, e.status === 429 ? 429 : 200, e.body);
    }
    session.protocolVersion = String(result.protocolVersion);
    this.sessions.set(session.id, session);
    // The policy decides what the session hears for whoever holds it now (a refreshed or narrower token).
    session.disconnectHub = this.hub.connect(session.id, session, () => ({ ...ctx, principal: session.observer }));
    writeJson(res, 200, { jsonrpc: '2.0', id, result }, { 'Mcp-Session-Id': session.id });
  }

  /** The session caps: per principal (anonymous callers per address) and in all. */
  private admit(session: LegacySession, limits: SessionLimits): void {
    if (this.sessions.size >= limits.maxTotal) {
      throw new HatagoError('ERR_SESSION_LIMIT', { data: { limit: 'total', max: limits.maxTotal } });
    }
    let mine = 0;
    for (const s of this.sessions.values()) if (s.ownerKey === session.ownerKey) mine++;
    if (mine >= limits.maxPerPrincipal) {
      throw new HatagoError('ERR_SESSION_LIMIT', { data: { limit: 'per_principal', max: limits.maxPerPrincipal } });
    }
  }

  private async postToSession(sid: string, body: unknown, req: IncomingMessage, res: ServerResponse, base: CallerBase): Promise<void> {
    const session = this.findSession(sid, req, base);
    session.touch(base.principal);
    if (!isObject(body) || body.jsonrpc !== '2.0') throw new HatagoError('ERR_INVALID_REQUEST');
    const method = body.method;
    if (method === undefined) {
      // The client's answer to a request we relayed (sampling, elicitation, roots).
      session.resolveResponse(body);
      return void res.writeHead(202).end();
    }
    if (typeof method !== 'string') throw new HatagoError('ERR_INVALID_REQUEST');
    if (body.id === undefined) {
      if (method === 'notifications/cancelled' && isObject(body.params)) session.cancel(body.params.requestId, body.params.reason);
      return void res.writeHead(202).end();
    }
    if (method === 'initialize') throw new HatagoError('ERR_INVALID_REQUEST', { message: 'Session already initialized' });
    const id = body.id as string | number;
    const ac = session.beginRequest(id);
    try {
      await this.answer(body, req, res, this.sessionContext(session, base), false, session, ac);
    } finally {
      session.endRequest(id);
    }
  }

  /**
   * Runs one request through the hub and writes the answer: JSON, or SSE when
   * progress must stream or the upstream may ask this client something.
   * MCP-level errors are JSON-RPC errors in a 200: the HTTP exchange worked.
   */
  private async answer(msg: Message, req: IncomingMessage, res: ServerResponse, ctx: CallerContext, modern: boolean, session?: LegacySession, ac = new AbortController()): Promise<void> {
    const id = jsonRpcId(msg.id);
    const method = msg.method as string;
    const params = isObject(msg.params) ? msg.params : undefined;
    const progressToken = progressTokenOf(params);
    // One mutable header set: the MCP stages (e.g. rate limits) add to it
    // before the first byte goes out, as JSON or as the stream's headers.
    const headers: Record<string, string> = session ? { 'Mcp-Session-Id': session.id } : {};
    ctx.responseHeaders = headers;
    // SSE when progress must stream, the upstream may ask this client something, or the client prefers it.
    const stream = acceptsSse(req) && (progressToken !== undefined || (session?.canBeAsked === true && FORWARDED.has(method)) || preferredAnswerType(header(req, 'accept')) === 'sse')
      ? new SseStream(res, headers)
      : undefined;
    res.on('close', () => {
      if (!res.writableFinished) ac.abort('client went away');
    });
    ctx.signal = ac.signal;
    if (session) ctx.relay = session.relayFor(stream);
    if (stream && progressToken !== undefined) {
      ctx.onProgress = (p) => stream.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...p } });
    }
    const request: HubRequest = { method, params, id };
    let reply: unknown;
    // Errors that end the exchange (policy denial 403, rate limit 429, open
    // breaker 503) keep their HTTP status while nothing has streamed yet;
    // other MCP-level errors are JSON-RPC errors in a 200.
    let status = 200;
    try {
      const result = await this.hub.handle(request, ctx);
      reply = { jsonrpc: '2.0', id, result: modern ? encodeModernResult(method, result) : result };
    } catch (err) {
      const e = toClientError(err, id, this.logger);
      reply = e.body;
      status = e.status;
    }
    if (stream?.hasStarted) {
      stream.send(reply);
      stream.end();
    } else if (!res.writableEnded && !res.destroyed) {
      if (stream && status === 200) {
        stream.send(reply);
        stream.end();
      } else {
        writeJson(res, status, reply, headers);
      }
    }
  }

  // -- GET / DELETE (2025-11-25 sessions) ------------------------------------

  get(req: IncomingMessage, res: ServerResponse, base: CallerBase): void {
    const sid = header(req, 'mcp-session-id');
    if (sid === null) throw new HatagoError('ERR_SESSION_REQUIRED');
    const session = this.findSession(sid, req, base);
    if (!acceptsSse(req)) throw new HatagoError('ERR_NOT_ACCEPTABLE');
    session.touch(base.principal);
    const stream = new SseStream(res, { 'Mcp-Session-Id': session.id });
    if (!session.attachGetStream(stream, (cb) => res.on('close', cb), base.principal)) {
      stream.end(); // one standalone stream per session; the old one stays
      return;
    }
    stream.start(); // the client learns at once that its stream is open
  }

  delete(req: IncomingMessage, res: ServerResponse, base: CallerBase): void {
    const sid = header(req, 'mcp-session-id');
    if (sid === null) throw new HatagoError('ERR_SESSION_REQUIRED');
    const session = this.findSession(sid, req, base);
    this.sessions.delete(session.id);
    session.close();
    res.writeHead(200).end();
  }

  // -- helpers ---------------------------------------------------------------

  /** A session belongs to the principal that opened it; to anyone else it does not exist. */
  private findSession(sid: string, req: IncomingMessage, base: CallerBase): LegacySession {
    const session = this.sessions.get(sid);
    if (!session || session.owner !== (base.principal?.sub ?? null)) throw new HatagoError('ERR_SESSION_NOT_FOUND');
    const version = header(req, 'mcp-protocol-version');
    if (version !== null && !LEGACY_PROTOCOL_VERSIONS.includes(version)) {
      throw new HatagoError('ERR_UNSUPPORTED_PROTOCOL_VERSION', { data: { supported: LEGACY_PROTOCOL_VERSIONS } });
    }
    return session;
  }

  private sessionContext(session: LegacySession, base: CallerBase): CallerContext {
    return {
      transport: 'http',
      protocolVersion: session.protocolVersion,
      client: base.client,
      principal: base.principal,
      sessionId: session.id,
      connectionId: session.id,
    };
  }

  private modernContext(base: CallerBase): CallerContext {
    // Stateless: no session, no relay (upstream requests to it are refused).
    return { transport: 'http', protocolVersion: MODERN_PROTOCOL_VERSION, client: base.client, principal: base.principal };
  }
}

/** Where a 2026-07-28 request's Mcp-Name header comes from in its body. */
const NAME_SOURCE: Record<string, 'name' | 'uri'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'resources/subscribe': 'uri',
  'resources/unsubscribe': 'uri',
};

/**
 * A 2026-07-28 Mcp-Name header must name what the body names: a gateway or
 * proxy in front may have routed or authorized on the header, the hub acts on
 * the body. The 400 ERR_HEADER_MISMATCH (-32020) to answer otherwise. The SDK classifier
 * already refuses a mismatched Mcp-Method and MCP-Protocol-Version.
 */
function nameHeaderMismatch(headerValue: string | null, msg: Message): HatagoError | undefined {
  const field = typeof msg.method === 'string' ? NAME_SOURCE[msg.method] : undefined;
  if (headerValue === null || field === undefined || !isObject(msg.params)) return undefined;
  const bodyValue = msg.params[field];
  if (typeof bodyValue !== 'string') return undefined;
  const raw = headerValue.trim();
  // Non-ASCII values travel as =?base64?<value>?= (SEP-2243).
  const sentinel = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/i.exec(raw);
  const named = sentinel ? Buffer.from(sentinel[1]!, 'base64').toString('utf8') : raw;
  if (named === bodyValue) return undefined;
  return new HatagoError('ERR_HEADER_MISMATCH', { data: { header: 'Mcp-Name' }, detail: `Mcp-Name ${JSON.stringify(named.slice(0, 128))} vs params.${field} ${JSON.stringify(bodyValue.slice(0, 128))}` });
}

/** The stable hatago code of an SDK validation-ladder rejection. */
function ladderCode(rpcCode: number, message: string): ErrorCode {
  if (rpcCode === JsonRpc.HEADER_MISMATCH) return 'ERR_HEADER_MISMATCH';
  if (/protocol version/i.test(message)) return 'ERR_UNSUPPORTED_PROTOCOL_VERSION';
  if (rpcCode === JsonRpc.INVALID_PARAMS) return 'ERR_INVALID_PARAMS';
  return 'ERR_INVALID_REQUEST';
}
