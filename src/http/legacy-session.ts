// One 2025-11-25 downstream session over HTTP: a DownstreamPeer (requests
// in flight, relayed requests, capabilities) plus what only sessions have:
// the standalone GET stream for notifications, the tokens that keep the
// session alive, and its idleness.

import { randomUUID } from 'node:crypto';
import type { ClientSink, Principal } from '../hub/types.js';
import { DownstreamPeer } from '../peer/downstream-peer.js';
import type { SseStream } from './sse.js';

export class LegacySession extends DownstreamPeer implements ClientSink {
  readonly id = randomUUID();
  protocolVersion = '2025-11-25';
  /** Set by the owner once the session is registered with the hub. */
  disconnectHub: () => void = () => {};
  private getStream: SseStream | undefined;

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
    super();
    this.principal = principal;
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

  notify(method: string, params?: Record<string, unknown>): void {
    this.getStream?.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** The standalone GET stream, while it is open: requests not tied to a call go there. */
  get standaloneStream(): SseStream | undefined {
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

  /** DELETE, or the app shutting down: everything in flight ends now. */
  override close(reason = 'session closed'): void {
    if (this.closed) return;
    super.close(reason);
    this.getStream?.end();
    this.getStream = undefined;
    this.disconnectHub();
  }
}
