import { StreamableHTTPClientTransport, type JSONRPCMessage, type Transport, type TransportSendOptions } from '@modelcontextprotocol/client';
import { callContext, newCallContext } from './call-context.js';
import { KeepAliveHttp, type HttpSession, type JsonRpcMessage } from './keep-alive-http.js';
import type { ResponseLimits } from './response-limits.js';

/** Revisions spoken in Streamable HTTP sessions (initialize, Mcp-Session-Id); 2026-07-28 is stateless. */
export const SESSION_VERSIONS: ReadonlySet<string> = new Set(['2025-11-25', '2025-06-18', '2025-03-26']);
/** Upstream requests inside one call's answer being relayed or answered at once; more are dropped. */
export const MAX_IN_STREAM_REQUESTS = 16;

/**
 * The SDK client's transport to a Streamable HTTP upstream. The SDK's own
 * transport (fetch, web streams) does the handshake, version discovery, the
 * standing GET stream, 2026-07-28 and session teardown; once a 2025-era
 * session is up, the messages the client sends go over a keep-alive
 * node:http Agent instead (keep-alive-http.ts), where the per-call cost of
 * fetch and web streams showed (bench/hub.mjs). Either way the SDK client's
 * protocol layer is the one engine: it matches answers, times out, cancels
 * and dispatches the upstream's requests and notifications.
 *
 * The messages of one call's answer are delivered inside that call's
 * context (call-context.ts), so what the upstream asks inside an answer goes
 * to the caller of that call.
 */
export class HttpSessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  /** An upstream request inside an answer was dropped (MAX_IN_STREAM_REQUESTS). */
  ondrop?: (method: string) => void;
  readonly hasPerRequestStream = true;
  private readonly inner: StreamableHTTPClientTransport;
  private readonly wire: KeepAliveHttp;
  private version: string | undefined;

  constructor(url: string, headers: Record<string, string> | undefined, limits: ResponseLimits, inner: StreamableHTTPClientTransport) {
    this.inner = inner;
    this.wire = new KeepAliveHttp(url, headers, limits);
    inner.onmessage = (message) => this.onmessage?.(message);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => this.onclose?.();
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  get protocolVersion(): string | undefined {
    return this.version;
  }

  setProtocolVersion(version: string): void {
    this.version = version;
    this.inner.setProtocolVersion(version);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async close(): Promise<void> {
    this.wire.close();
    await this.inner.close();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as JsonRpcMessage;
    // The handshake, resumption the client asks for, and the notification that opens the standing GET stay with the SDK's transport.
    if (this.version === undefined || !SESSION_VERSIONS.has(this.version) || options?.resumptionToken !== undefined
      || m.method === 'initialize' || m.method === 'notifications/initialized') {
      return this.inner.send(message, options);
    }
    if (typeof m.method === 'string' && m.id !== undefined && m.id !== null) return this.request(m.id, message);
    const answering = m.method === undefined && m.id !== undefined && m.id !== null ? callContext.getStore()?.answering : undefined;
    // An answer to the upstream's request counts against its call's bound until it is delivered.
    return this.wire.notify(message, this.session()).finally(() => answering?.delete(m.id as string | number));
  }

  private session(): HttpSession {
    return { sessionId: this.inner.sessionId, protocolVersion: this.version };
  }

  private async request(id: string | number, message: JSONRPCMessage): Promise<void> {
    // Requests of the hub's own (listings, liveness) get a context too: it relays nothing, but bounds what their answers ask.
    const call = callContext.getStore() ?? newCallContext();
    const ctrl = new AbortController();
    // A call that ends unanswered (timeout, cancel) closes its stream: an upstream that keeps it open does not keep the socket.
    call.closeAnswer = () => ctrl.abort();
    const deliver = (m: JsonRpcMessage) => {
      if (typeof m.method === 'string' && m.id !== undefined && m.id !== null) {
        // Each is answered by a POST of its own: an answer full of requests must not fan out without bound.
        if (call.answering.size >= MAX_IN_STREAM_REQUESTS) return this.ondrop?.(m.method);
        call.answering.add(m.id);
      }
      callContext.run(call, () => this.onmessage?.(m as JSONRPCMessage));
    };
    try {
      await this.wire.exchange(id, message, this.session(), ctrl.signal, deliver);
    } catch (err) {
      if (!ctrl.signal.aborted) throw err;
    }
  }
}
