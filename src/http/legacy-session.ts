// One 2025-11-25 downstream session over HTTP, as this process holds it: a
// DownstreamPeer (requests in flight, relayed requests, capabilities) plus
// what only sessions have: the standalone GET stream for notifications, the
// tokens that keep the session alive, and its idleness. Behind a balancer
// every replica the client's requests reach holds a copy of the session
// (src/http/session-table.ts); only one holds its GET stream, and a copy
// without it sends what belongs on the stream to that replica.

import { randomBytes } from 'node:crypto';
import type { CallerContext, ClientSink, Principal } from '../hub/types.js';
import { DownstreamPeer, type PeerChannel } from '../peer/downstream-peer.js';
import type { BusMessage } from '../sessions/session-bus.js';
import type { CallerBase } from './caller.js';
import type { SseStream } from './sse.js';

/** The other replicas, for a session shared by several (cluster.enabled). */
export interface SessionReplicas {
  /** This replica's id. */
  readonly self: string;
  publish(to: string, message: BusMessage): void;
}

/**
 * Ids of requests relayed to a shared session's client name the replica
 * waiting for the answer, and a random part per copy: two copies (a copy
 * rebuilt later, two processes an operator gave one replica id) never
 * share an id, so an answer resolves only the request it answers.
 */
const RELAYED_BY = /^hatago~([A-Za-z0-9._-]+)~[0-9a-f]{12}-\d+$/;

/** The replica that relayed request `id` to the client (undefined: not a shared session's id). */
export function relayedBy(id: unknown): string | undefined {
  return typeof id === 'string' ? RELAYED_BY.exec(id)?.[1] : undefined;
}

export class LegacySession extends DownstreamPeer implements ClientSink {
  protocolVersion = '2025-11-25';
  /** Set by the owner once the session is registered with the hub; `ended` false: only this copy closes. */
  disconnectHub: (ended: boolean) => void = () => {};
  private getStream: SseStream | undefined;
  /** The replica holding the GET stream as the index said at the latest request ('' none). */
  streamAt = '';
  /** Set by logging/setLevel; `onLogLevel` tells the index. */
  private level = 0;
  onLogLevel: (level: number) => void = () => {};
  /** Restarts the index entry's idle time while a stream is open or a call runs (src/http/session-table.ts). */
  keepAlive: NodeJS.Timeout | undefined;
  /** When this copy last restarted the index entry's idle time. */
  indexTouchedAt = Date.now();

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
    readonly id: string,
    readonly owner: string | null,
    principal: Principal | null,
    readonly ownerKey: string,
    /** This replica opened the session (it records the session's end by idleness). */
    readonly openedHere: boolean,
    private readonly replicas?: SessionReplicas,
  ) {
    super(true, replicas ? `hatago~${replicas.self}~${randomBytes(6).toString('hex')}` : 'hatago');
    this.principal = principal;
  }

  get logLevel(): number {
    return this.level;
  }

  set logLevel(level: number) {
    this.level = level;
    this.onLogLevel(level);
  }

  /** The index's view at a request: where the stream is, the shared log level. */
  syncFrom(record: { stream: string; logLevel: number }): void {
    this.streamAt = record.stream;
    this.level = record.logLevel;
  }

  /** logging/setLevel taken by another replica. */
  syncLevel(level: number): void {
    this.level = level;
  }

  /** A request on this copy ended: idle from now. */
  markActive(): void {
    this.lastActive = Date.now();
  }

  /** Another replica holds the client's GET stream (and this copy has none). */
  private get holder(): string | undefined {
    if (!this.replicas || this.getStream?.isOpen) return undefined;
    return this.streamAt !== '' && this.streamAt !== this.replicas.self ? this.streamAt : undefined;
  }

  /** The hub's hand-off while another replica holds the stream: that replica's hub decides for the stream's principal. */
  get elsewhere(): ((servers: readonly string[], method: string, params?: Record<string, unknown>) => void) | undefined {
    const to = this.holder;
    if (to === undefined) return undefined;
    const replicas = this.replicas!;
    return (servers, method, params) => replicas.publish(to, { t: 'notify', sid: this.id, servers: [...servers], method, ...(params !== undefined && { params }) });
  }

  /** The session's caller context for a request with `base`. */
  context(base: CallerBase): CallerContext {
    return {
      transport: 'http',
      protocolVersion: this.protocolVersion,
      client: base.client,
      principal: base.principal,
      sessionId: this.id,
      connectionId: this.id,
      ...(base.trace !== undefined && { trace: base.trace }),
    };
  }

  /** A request on the session: it is active, and its token is the one that counts now. */
  touch(principal: Principal | null): void {
    this.lastActive = Date.now();
    this.principal = principal;
  }

  /** Idle: nothing in flight, no open GET stream, and no request for longer than its idle timeout. */
  isIdle(now: number): boolean {
    return this.inflightCount === 0 && !this.getStream?.isOpen && now - this.lastActive > this.idleTimeoutMs;
  }

  get hasOpenStream(): boolean {
    return this.getStream?.isOpen === true;
  }

  /** The hub delivers server notifications only while a GET stream is open (here, or on the replica holding it). */
  get listening(): boolean {
    return this.hasOpenStream || this.holder !== undefined;
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

  notify(method: string, params?: Record<string, unknown>): void {
    this.getStream?.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** The standalone GET stream, while it is open here or elsewhere: requests not tied to a call go there. */
  get standaloneStream(): PeerChannel | undefined {
    if (this.getStream?.isOpen) return this.getStream;
    const to = this.holder;
    if (to === undefined) return undefined;
    const replicas = this.replicas!;
    return { isOpen: true, send: (message) => replicas.publish(to, { t: 'send', sid: this.id, message }) };
  }

  /** The stream held here (a message another replica sent for it). */
  get localStream(): SseStream | undefined {
    return this.getStream?.isOpen ? this.getStream : undefined;
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

  /**
   * DELETE, the session's end, or this process stopping: everything in flight
   * here ends now. `ended` false: only this copy closes (the session goes on
   * on other replicas, with its flow history).
   */
  override close(reason = 'session closed', ended = true): void {
    if (this.closed) return;
    super.close(reason);
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    this.getStream?.end();
    this.getStream = undefined;
    this.disconnectHub(ended);
  }
}
