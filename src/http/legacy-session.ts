// One 2025-11-25 downstream session: its standalone GET stream (server
// notifications), its in-flight requests (cancellation), and the requests
// the hub relays to this client on an upstream's behalf (sampling,
// elicitation, roots) with their pending answers.

import { randomUUID } from 'node:crypto';
import { HatagoError } from '../errors/index.js';
import { ClientRpcError } from '../hub/client-rpc-error.js';
import type { ClientSink, Principal } from '../hub/types.js';
import type { ClientRelay } from '../upstreams/types.js';
import type { SseStream } from './sse.js';

type Id = string | number;

/** Client capability each relayed method needs (fail closed when it is not declared). */
const CAPABILITY_OF: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

export class LegacySession implements ClientSink {
  readonly id = randomUUID();
  protocolVersion = '2025-11-25';
  clientCapabilities: Record<string, unknown> = {};
  /** Set by the owner once the session is registered with the hub. */
  disconnectHub: () => void = () => {};
  private getStream: SseStream | undefined;
  private readonly inflight = new Map<Id, AbortController>();
  private readonly pending = new Map<Id, { resolve: (r: Record<string, unknown>) => void; reject: (e: unknown) => void }>();
  private nextOutId = 0;
  private closed = false;

  /** The principal of the session's latest request (its token decides how long the session lives). */
  principal: Principal | null;
  /** The principal whose token opened the GET stream (the stream ends with that token). */
  streamPrincipal: Principal | null = null;
  /** Set from the initialize decision's session_limits. */
  idleTimeoutMs = Number.MAX_SAFE_INTEGER;
  private lastActive = Date.now();

  /**
   * `owner`: the principal that opened the session; others cannot use it.
   * `ownerKey`: whose session it is for the per-principal cap (anonymous callers by address).
   */
  constructor(
    readonly owner: string | null,
    principal: Principal | null,
    readonly ownerKey: string,
  ) {
    this.principal = principal;
  }

  /** A request on the session: it is active, and its token is the one that counts now. */
  touch(principal: Principal | null): void {
    this.lastActive = Date.now();
    this.principal = principal;
  }

  /** Idle: nothing in flight, no open GET stream, and no request for longer than its idle timeout. */
  isIdle(now: number): boolean {
    return this.inflight.size === 0 && !this.getStream?.isOpen && now - this.lastActive > this.idleTimeoutMs;
  }

  get hasOpenStream(): boolean {
    return this.getStream?.isOpen === true;
  }

  /** The hub delivers server notifications only while the GET stream is open. */
  get listening(): boolean {
    return this.hasOpenStream;
  }

  /** The principal the session's notifications are decided for: the GET stream's token, else the latest request's. */
  get observer(): Principal | null {
    return this.streamPrincipal ?? this.principal;
  }

  /** An SSE comment on the GET stream: a peer that went away is noticed when the write fails. */
  heartbeat(): void {
    this.getStream?.comment();
  }

  /** Ends the standalone GET stream (its token was revoked or expired); the session stays. */
  endGetStream(): void {
    this.getStream?.end();
    this.getStream = undefined;
    this.streamPrincipal = null;
    this.lastActive = Date.now();
  }

  /** Whether a client of this session may be asked things (decides SSE for forwarded calls). */
  get canBeAsked(): boolean {
    const c = this.clientCapabilities;
    return c.sampling !== undefined || c.elicitation !== undefined || c.roots !== undefined;
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.getStream?.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** false when a GET stream is already open (the spec allows one). */
  attachGetStream(stream: SseStream, onClose: (cb: () => void) => void, principal: Principal | null): boolean {
    if (this.getStream?.isOpen) return false;
    this.getStream = stream;
    this.streamPrincipal = principal;
    onClose(() => {
      if (this.getStream !== stream) return;
      this.getStream = undefined;
      this.streamPrincipal = null;
      this.lastActive = Date.now();
    });
    return true;
  }

  beginRequest(id: Id): AbortController {
    const ac = new AbortController();
    this.inflight.set(id, ac);
    return ac;
  }

  endRequest(id: Id): void {
    this.inflight.delete(id);
  }

  /** notifications/cancelled from the client. */
  cancel(requestId: unknown, reason?: unknown): void {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    this.inflight.get(requestId)?.abort(typeof reason === 'string' ? reason : 'cancelled by client');
  }

  /** A JSON-RPC response POSTed by the client to one of our relayed requests. */
  resolveResponse(msg: Record<string, unknown>): void {
    const id = msg.id;
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const err = msg.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    if (err && typeof err === 'object') {
      p.reject(new ClientRpcError(typeof err.code === 'number' ? err.code : -32603, String(err.message ?? 'client error'), err.data));
    } else {
      const result = msg.result;
      p.resolve(typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {});
    }
  }

  /**
   * The relay for one call: requests go on that call's SSE stream when it
   * has one (so they are tied to the call), else on the session's GET stream.
   */
  relayFor(callStream: SseStream | undefined): ClientRelay {
    return {
      capabilities: this.clientCapabilities,
      request: (method, params, signal) => this.ask(method, params, callStream, signal),
    };
  }

  private ask(method: string, params: unknown, callStream: SseStream | undefined, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const cap = CAPABILITY_OF[method];
    if (cap !== undefined && this.clientCapabilities[cap] === undefined) {
      return Promise.reject(new HatagoError('ERR_CLIENT_CAPABILITY', { message: `The client did not declare the "${cap}" capability`, data: { method } }));
    }
    const stream = callStream?.isOpen ? callStream : this.getStream?.isOpen ? this.getStream : undefined;
    if (!stream || this.closed) {
      return Promise.reject(new HatagoError('ERR_CLIENT_CAPABILITY', { message: 'No open stream to the client for this request', data: { method } }));
    }
    const id = `hatago-${++this.nextOutId}`;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        stream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'upstream cancelled' } });
        reject(signal?.reason ?? new Error('aborted'));
      };
      this.pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.send({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });
    });
  }

  /** DELETE, or the app shutting down: everything in flight ends now. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ac of this.inflight.values()) ac.abort('session closed');
    this.inflight.clear();
    for (const p of this.pending.values()) p.reject(new HatagoError('ERR_SESSION_NOT_FOUND', { message: 'Session closed' }));
    this.pending.clear();
    this.getStream?.end();
    this.getStream = undefined;
    this.disconnectHub();
  }
}
