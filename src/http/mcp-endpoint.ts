// /mcp for both protocol revisions on one path. The HTTP stages run first
// (network, authentication, validation: src/pipeline); this is the transport
// stage and what follows it. A request carrying Mcp-Session-Id is 2025-11-25
// session traffic; anything else is classified by the SDK's own era
// classifier (`classifyInboundRequest`), so the routing never disagrees with
// what 2.x clients expect. Each JSON-RPC request is then served by its
// DownstreamPeer (a session, or a transient one for a stateless request).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { envelopeHelp, HatagoError, JsonRpc, type ErrorCode } from '../errors/index.js';
import { toClientError } from '../hub/client-error.js';
import type { Hub } from '../hub/hub.js';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION } from '../hub/server-info.js';
import type { CallerContext, HubLogger } from '../hub/types.js';
import { discardEvents, type SecurityEventSink } from '../pipeline/security-events.js';
import { readSessionLimits } from './session-limits.js';
import { SessionTable, type TokenCheck } from './session-table.js';
import { MemorySessionIndex, type SessionIndex } from '../sessions/session-index.js';
import type { SessionBus } from '../sessions/session-bus.js';
import type { CallerBase } from './caller.js';
import { LegacySession } from './legacy-session.js';
import { mcpMethod } from '../mcp/methods.js';
import { DownstreamPeer, progressTokenOf } from '../peer/downstream-peer.js';
import { callerOf, type HttpExchange } from '../pipeline/http-exchange.js';
import type { Stage } from '../pipeline/stage.js';
import { transportStage } from '../pipeline/transport/stage.js';
import { encodeModernResult } from './modern-encoding.js';
import { isObject, jsonRpcId, writeHttpError, writeJson } from './respond.js';
import { SseStream } from './sse.js';
import { preferredAnswerType } from './accept.js';
import { requestHeader as header } from '../util/incoming-request.js';

type Message = Record<string, unknown>;

/** The most JSON an initialize's params.capabilities may take (they are kept for the session's life). */
export const MAX_CAPABILITIES_BYTES = 16 * 1024;

/** Where the transport stage sends an /mcp request. */
type Route =
  | { kind: 'session'; session: LegacySession; message: Message }
  | { kind: 'stateless'; message: Message }
  | { kind: 'initialize'; message: Message }
  | { kind: 'accepted' }
  | { kind: 'stream'; session: LegacySession }
  | { kind: 'delete'; session: LegacySession };

function acceptsSse(req: IncomingMessage): boolean {
  const a = header(req, 'accept');
  return a === null || a.includes('text/event-stream') || a.includes('*/*');
}

export type { TokenCheck } from './session-table.js';

export interface McpEndpointOptions {
  hub: Hub;
  logger: HubLogger;
  /** With authentication: sessions and GET streams end when their token is revoked or expires. */
  tokenCheck?: TokenCheck;
  /** Receives `session_closed` (idle, token revoked or expired). */
  events?: SecurityEventSink;
  /** Where sessions are known (default: this process's memory). */
  index?: SessionIndex;
  /** Behind a balancer: the other replicas (src/sessions/session-bus.ts). */
  bus?: SessionBus;
}

export class McpEndpoint {
  private readonly sessions: SessionTable;
  private readonly hub: Hub;
  private readonly logger: HubLogger;

  constructor(opts: McpEndpointOptions) {
    this.hub = opts.hub;
    this.logger = opts.logger;
    this.sessions = new SessionTable({
      hub: opts.hub,
      logger: opts.logger,
      index: opts.index ?? new MemorySessionIndex(),
      ...(opts.bus && { bus: opts.bus }),
      ...(opts.tokenCheck && { tokenCheck: opts.tokenCheck }),
      events: opts.events ?? discardEvents,
    });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** A request on session `id` must be served by this process (drain): one hub's sessions live nowhere else. */
  hasSession(id: string): boolean {
    return this.sessions.pinnedHere(id);
  }

  /** Ends every session (shutdown); behind a balancer, only this replica's copies. */
  closeAll(): void {
    this.sessions.closeAll();
  }

  // -- the transport stage -----------------------------------------------------

  /** The transport stage of /mcp: what the request is and where it goes; nothing is answered yet. */
  readonly stage: Stage<HttpExchange> = transportStage((x) => this.route(x));

  private async route(x: HttpExchange): Promise<Route> {
    const { req } = x;
    const sid = header(req, 'mcp-session-id');
    const base = callerOf(x);
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (sid === null) throw new HatagoError('ERR_SESSION_REQUIRED');
      const session = await this.findSession(sid, req, base);
      if (req.method === 'DELETE') return { kind: 'delete', session };
      if (!acceptsSse(req)) throw new HatagoError('ERR_NOT_ACCEPTABLE');
      return { kind: 'stream', session };
    }
    if (req.method !== 'POST') throw new HatagoError('ERR_METHOD_NOT_ALLOWED');
    const body = x.body;
    if (!body) throw new HatagoError('ERR_INVALID_REQUEST');
    if (sid !== null) {
      const session = await this.findSession(sid, req, base);
      if (body.jsonrpc !== '2.0') throw new HatagoError('ERR_INVALID_REQUEST');
      if (body.method === 'initialize') throw new HatagoError('ERR_INVALID_REQUEST', { message: 'Session already initialized' });
      if (body.method !== undefined && typeof body.method !== 'string') throw new HatagoError('ERR_INVALID_REQUEST');
      return { kind: 'session', session, message: body };
    }
    const protocolVersion = header(req, 'mcp-protocol-version');
    const mcpMethodHeader = header(req, 'mcp-method');
    const mcpName = header(req, 'mcp-name');
    const route = classifyInboundRequest({
      httpMethod: 'POST',
      body,
      ...(protocolVersion !== null && { protocolVersionHeader: protocolVersion }),
      ...(mcpMethodHeader !== null && { mcpMethodHeader }),
      ...(mcpName !== null && { mcpNameHeader: mcpName }),
    });
    if (route.kind === 'reject') {
      // The SDK's validation ladder answer (e.g. unsupported revision with the
      // versions we speak): clients negotiate from its exact code and data.
      // hatago's stable code rides beside the SDK's data (whose keys never include `code`).
      x.replyId = jsonRpcId(body.id);
      const data = { ...(isObject(route.data) ? route.data : route.data !== undefined && { detail: route.data }), ...envelopeHelp(route.data) };
      throw new HatagoError(ladderCode(route.code, route.message), { message: route.message, data, rpcCode: route.code, status: route.httpStatus });
    }
    if (route.kind === 'modern') {
      const message = route.message as unknown as Message;
      const mismatch = nameHeaderMismatch(mcpName, message);
      if (mismatch) {
        x.replyId = jsonRpcId(body.id);
        throw mismatch;
      }
      return route.messageKind === 'notification' ? { kind: 'accepted' } : { kind: 'stateless', message };
    }
    // Legacy without a session: only `initialize` may open one.
    if (body.jsonrpc !== '2.0' || typeof body.method !== 'string') throw new HatagoError('ERR_INVALID_REQUEST');
    if (body.method !== 'initialize' || body.id === undefined) throw new HatagoError('ERR_SESSION_REQUIRED');
    // The capabilities live as long as the session, in the session index too: bounded.
    const caps = isObject(body.params) ? body.params.capabilities : undefined;
    if (caps !== undefined && JSON.stringify(caps).length > MAX_CAPABILITIES_BYTES) {
      x.replyId = jsonRpcId(body.id);
      throw new HatagoError('ERR_LIMIT_EXCEEDED', { data: { limit: 'capabilities', max: MAX_CAPABILITIES_BYTES } });
    }
    return { kind: 'initialize', message: body };
  }

  /** After the HTTP stages: the routed request is served. */
  async dispatch(x: HttpExchange): Promise<void> {
    const route = x.route as Route;
    const base = callerOf(x);
    switch (route.kind) {
      case 'accepted':
        return void x.res.writeHead(202).end();
      case 'initialize':
        return this.initialize(route.message, x.res, base);
      case 'stateless':
        // Stateless: a peer for this one request, with no session and no relay (the hub refuses upstream requests to it).
        return this.answer(route.message, x.req, x.res, this.modernContext(base), true, new DownstreamPeer(false));
      case 'session':
        return this.postToSession(route.session, route.message, x.req, x.res, base);
      case 'stream':
        return this.openStream(route.session, x.res, base);
      case 'delete':
        await this.sessions.remove(route.session);
        return void x.res.writeHead(200).end();
    }
  }

  private async initialize(msg: Message, res: ServerResponse, base: CallerBase): Promise<void> {
    const id = jsonRpcId(msg.id);
    const params = isObject(msg.params) ? msg.params : {};
    const session = this.sessions.create(base, isObject(params.capabilities) ? params.capabilities : {});
    const ctx: CallerContext = { ...session.context(base) };
    let result: Record<string, unknown>;
    try {
      result = await session.serve(this.hub, { method: 'initialize', params, id: msg.id as string | number }, ctx);
      session.protocolVersion = String(result.protocolVersion);
      // The policy allowed the session and says how many may be open and for how long idle.
      await this.sessions.admit(session, readSessionLimits(ctx.decision?.output, ctx.decision?.decisionId), base);
    } catch (err) {
      const e = toClientError(err, id, this.logger);
      return writeJson(res, e.status === 429 || e.status === 503 ? e.status : 200, e.body);
    }
    writeJson(res, 200, { jsonrpc: '2.0', id, result }, { 'Mcp-Session-Id': session.id });
  }

  private async postToSession(session: LegacySession, body: Message, req: IncomingMessage, res: ServerResponse, base: CallerBase): Promise<void> {
    const method = body.method;
    if (method === undefined) {
      // The client's answer to a request we relayed (sampling, elicitation, roots), wherever it waits.
      this.sessions.answer(session, body);
      return void res.writeHead(202).end();
    }
    if (body.id === undefined) {
      if (method === 'notifications/cancelled') this.sessions.cancel(session, body.params);
      return void res.writeHead(202).end();
    }
    this.sessions.busy(session);
    try {
      await this.answer(body, req, res, session.context(base), false, session);
    } finally {
      this.sessions.settled(session);
    }
  }

  /**
   * Runs one request through its peer and writes the answer: JSON, or SSE
   * when progress must stream or the upstream may ask this client something.
   * MCP-level errors are JSON-RPC errors in a 200: the HTTP exchange worked.
   */
  private async answer(msg: Message, req: IncomingMessage, res: ServerResponse, ctx: CallerContext, modern: boolean, peer: DownstreamPeer): Promise<void> {
    const id = jsonRpcId(msg.id);
    const method = msg.method as string;
    const params = isObject(msg.params) ? msg.params : undefined;
    const session = peer instanceof LegacySession ? peer : undefined;
    // One mutable header set: the MCP stages (e.g. rate limits) add to it
    // before the first byte goes out, as JSON or as the stream's headers.
    const headers: Record<string, string> = session ? { 'Mcp-Session-Id': session.id } : {};
    ctx.responseHeaders = headers;
    // SSE when progress must stream, the upstream may ask this client something, or the client prefers it.
    const stream = acceptsSse(req) && (progressTokenOf(params) !== undefined || (peer.canBeAsked && mcpMethod(method)?.forwarded === true) || preferredAnswerType(header(req, 'accept')) === 'sse')
      ? new SseStream(res, headers)
      : undefined;
    let reply: unknown;
    // Errors that end the exchange (policy denial 403, rate limit 429, open
    // breaker 503) keep their HTTP status while nothing has streamed yet;
    // other MCP-level errors are JSON-RPC errors in a 200.
    let status = 200;
    try {
      const result = await peer.serve(this.hub, { method, params, id: msg.id as string | number }, ctx, stream, () => session?.standaloneStream, (abort) => {
        // Gone already (during the HTTP stages): no close event will come.
        if (res.destroyed && !res.writableFinished) abort('client went away');
        else res.on('close', () => {
          if (!res.writableFinished) abort('client went away');
        });
      });
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

  /** GET: the session's standalone stream (server notifications and requests). */
  private async openStream(session: LegacySession, res: ServerResponse, base: CallerBase): Promise<void> {
    const stream = new SseStream(res, { 'Mcp-Session-Id': session.id });
    if (!(await this.sessions.attachStream(session, stream, (cb) => res.on('close', cb), base.principal))) {
      stream.end(); // one standalone stream per session; the old one stays
      return;
    }
    stream.start(); // the client learns at once that its stream is open
  }

  // -- helpers ---------------------------------------------------------------

  /** A session belongs to the principal that opened it; to anyone else it does not exist. */
  private async findSession(sid: string, req: IncomingMessage, base: CallerBase): Promise<LegacySession> {
    const version = header(req, 'mcp-protocol-version');
    // Checked first: a request refused here does not count as activity on the session.
    if (version !== null && !LEGACY_PROTOCOL_VERSIONS.includes(version)) {
      throw new HatagoError('ERR_UNSUPPORTED_PROTOCOL_VERSION', { data: { supported: LEGACY_PROTOCOL_VERSIONS } });
    }
    return this.sessions.find(sid, base);
  }

  private modernContext(base: CallerBase): CallerContext {
    // Stateless: no session, no relay (upstream requests to it are refused).
    return { transport: 'http', protocolVersion: MODERN_PROTOCOL_VERSION, client: base.client, principal: base.principal, ...(base.trace !== undefined && { trace: base.trace }) };
  }
}

/**
 * A 2026-07-28 Mcp-Name header must name what the body names: a gateway or
 * proxy in front may have routed or authorized on the header, the hub acts on
 * the body. The 400 ERR_HEADER_MISMATCH (-32020) to answer otherwise. The SDK classifier
 * already refuses a mismatched Mcp-Method and MCP-Protocol-Version.
 */
function nameHeaderMismatch(headerValue: string | null, msg: Message): HatagoError | undefined {
  const field = typeof msg.method === 'string' ? mcpMethod(msg.method)?.nameFrom : undefined;
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
