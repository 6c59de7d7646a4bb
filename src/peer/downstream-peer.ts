// The hub's side of one downstream client, whatever carries it: a
// 2025-11-25 HTTP session, the stdio peer, or one 2026-07-28 stateless
// request. It owns what the protocol needs per client: the requests in
// flight (cancellation), the requests relayed to the client on an upstream's
// behalf (sampling, elicitation, roots) with their pending answers, the
// capabilities the client declared, and its notification level. Transports
// only move messages; this is the one place that does the protocol steps.

import { HatagoError } from '../errors/index.js';
import { ClientRpcError } from '../hub/client-rpc-error.js';
import type { Hub } from '../hub/hub.js';
import type { CallerContext, HubRequest } from '../hub/types.js';
import type { ClientRelay } from '../upstreams/types.js';

type Id = string | number;
type Msg = Record<string, unknown>;

/** Where messages to the client go now; `send` false: nothing is open to carry them. */
export interface PeerChannel {
  readonly isOpen: boolean;
  send(message: Msg): void;
}

/** Client capability each relayed method needs (fail closed when it is not declared). */
export const CAPABILITY_OF: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** Relayed requests waiting for the client's answer, per peer; more are refused. */
const MAX_PENDING = 64;

export function progressTokenOf(params: unknown): string | number | undefined {
  if (!isObject(params) || !isObject(params._meta)) return undefined;
  const t = params._meta.progressToken;
  return typeof t === 'string' || typeof t === 'number' ? t : undefined;
}

export class DownstreamPeer {
  clientCapabilities: Msg = {};
  private readonly inflight = new Map<Id, AbortController>();
  private readonly pending = new Map<Id, { resolve: (r: Msg) => void; reject: (e: unknown) => void }>();
  private nextOutId = 0;
  private closedNow = false;

  constructor(
    /** false: a 2026-07-28 stateless request, which cannot be asked anything (the hub refuses upstream requests to it). */
    private readonly relays = true,
    /** Prefix of the ids of requests relayed to this client. */
    private readonly idPrefix = 'hatago',
  ) {}

  get closed(): boolean {
    return this.closedNow;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Relayed requests waiting for the client's answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Whether the client declared it can be asked things (sampling, elicitation, roots). */
  get canBeAsked(): boolean {
    return Object.values(CAPABILITY_OF).some((cap) => this.clientCapabilities[cap] !== undefined);
  }

  /**
   * Runs one request of this client through the hub: cancellable by the
   * client, its progress and relayed requests on `channel` (else `fallback`).
   * `onGone`: how the carrier says its client went away (the HTTP answer's
   * socket closed): it is handed the abort of this request, and calls it at
   * most once. A callback, not a second AbortSignal: one controller per request.
   */
  async serve(hub: Hub, req: HubRequest & { id: Id }, base: CallerContext, channel?: PeerChannel, fallback?: () => PeerChannel | undefined, onGone?: (abort: (reason: string) => void) => void): Promise<Msg> {
    const ac = new AbortController();
    if (this.inflight.has(req.id)) throw new HatagoError('ERR_INVALID_REQUEST', { message: 'A request with this id is already in flight' });
    this.inflight.set(req.id, ac);
    const progressToken = progressTokenOf(req.params);
    const ctx: CallerContext = {
      ...base,
      signal: ac.signal,
      ...(this.relays && { relay: this.relay(() => (channel?.isOpen ? channel : fallback?.())) }),
      ...(progressToken !== undefined && channel && {
        onProgress: (p) => channel.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...p } }),
      }),
    };
    try {
      onGone?.((reason) => ac.abort(reason));
      return await hub.handle(req, ctx);
    } finally {
      this.inflight.delete(req.id);
      // The context lives on in the caller's decision: the transport reads it.
      base.decision = ctx.decision;
    }
  }

  /** notifications/cancelled from the client; false when no such request is in flight here. */
  cancel(params: unknown): boolean {
    if (!isObject(params)) return false;
    const { requestId, reason } = params;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return false;
    const ac = this.inflight.get(requestId);
    ac?.abort(typeof reason === 'string' ? reason : 'cancelled by client');
    return ac !== undefined;
  }

  /** A JSON-RPC response from the client to one of the requests relayed to it; false when none here waits for it. */
  resolveResponse(msg: Msg): boolean {
    const id = msg.id;
    if (typeof id !== 'string' && typeof id !== 'number') return false;
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    const err = msg.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    if (err && typeof err === 'object') {
      p.reject(new ClientRpcError(typeof err.code === 'number' ? err.code : -32603, String(err.message ?? 'client error'), err.data));
    } else {
      p.resolve(isObject(msg.result) ? msg.result : {});
    }
    return true;
  }

  /** The relay of one call: its requests go on the channel `route` gives at the time they are sent. */
  relay(route: () => PeerChannel | undefined): ClientRelay {
    return {
      capabilities: this.clientCapabilities,
      request: (method, params, signal) => this.ask(method, params, route(), signal),
    };
  }

  private ask(method: string, params: unknown, channel: PeerChannel | undefined, signal?: AbortSignal): Promise<Msg> {
    const cap = CAPABILITY_OF[method];
    if (cap !== undefined && this.clientCapabilities[cap] === undefined) {
      return Promise.reject(new HatagoError('ERR_CLIENT_CAPABILITY', { message: `The client did not declare the "${cap}" capability`, data: { method } }));
    }
    if (!channel?.isOpen || this.closedNow) {
      return Promise.reject(new HatagoError('ERR_CLIENT_CAPABILITY', { message: 'No open stream to the client for this request', data: { method } }));
    }
    if (this.pending.size >= MAX_PENDING) {
      return Promise.reject(new HatagoError('ERR_CLIENT_CAPABILITY', { message: 'Too many requests are waiting for this client', data: { method } }));
    }
    const id = `${this.idPrefix}-${++this.nextOutId}`;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        channel.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'upstream cancelled' } });
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
      channel.send({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });
    });
  }

  /** The client is gone (DELETE, stdin closed, shutdown): everything in flight ends now. */
  close(reason: string): void {
    if (this.closedNow) return;
    this.closedNow = true;
    for (const ac of this.inflight.values()) ac.abort(reason);
    this.inflight.clear();
    for (const p of this.pending.values()) p.reject(new HatagoError('ERR_SESSION_NOT_FOUND', { message: 'Session closed' }));
    this.pending.clear();
  }
}

function isObject(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
