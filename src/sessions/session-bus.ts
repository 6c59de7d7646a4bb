// What replicas tell each other about the sessions they share copies of
// (src/http/session-table.ts). A 2025-11-25 client's requests land on any
// replica, but some messages belong to one place: the GET stream is held by
// one replica, a relayed request (sampling, elicitation, roots) waits on the
// replica that sent it, a call runs on the replica that took it. The bus
// carries the message there. A single hub has no bus: everything is local.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';

type Msg = Record<string, unknown>;

export type BusMessage =
  /** The client's answer to a request relayed by the receiving replica. */
  | { t: 'answer'; sid: string; body: Msg }
  /** notifications/cancelled from the client, for whichever replica runs the request (broadcast). */
  | { t: 'cancel'; sid: string; params: Msg }
  /** For the stream holder: a message to write on the GET stream as it is (a relayed request, its cancellation). */
  | { t: 'send'; sid: string; message: Msg }
  /** For the stream holder: a server notification of one of `servers`, decided there for the stream's principal. */
  | { t: 'notify'; sid: string; servers: string[]; method: string; params?: Msg }
  /** logging/setLevel taken by one replica, for every copy (broadcast). */
  | { t: 'level'; sid: string; level: number }
  /** For the old stream holder: the client opened its GET stream on another replica. */
  | { t: 'release'; sid: string }
  /** The session ended (DELETE, token revoked or expired): every copy closes (broadcast). */
  | { t: 'ended'; sid: string };

export const BROADCAST = '*';

export interface SessionBus {
  readonly replica: string;
  /** To one replica, or to all others (BROADCAST). At most once: a message may be lost with Redis. */
  publish(to: string, message: BusMessage): void;
  /** Messages for this replica (its own and broadcasts from others). */
  onMessage(handler: (message: BusMessage) => void): void;
  close(): Promise<void>;
}

/**
 * A published message above its kind's size is dropped (and logged): Redis
 * is not a bulk channel. Answers and relayed requests carry what a client or
 * an upstream may send (already bounded by the body and answer limits);
 * notifications less; control messages little.
 */
export const MAX_BUS_MESSAGE_BYTES: Readonly<Record<BusMessage['t'], number>> = {
  answer: 4 * 1024 * 1024,
  send: 4 * 1024 * 1024,
  notify: 1024 * 1024,
  cancel: 4096,
  level: 1024,
  release: 1024,
  ended: 1024,
};

const KINDS = new Set(Object.keys(MAX_BUS_MESSAGE_BYTES));

const CHANNEL = 'hatago:sess:bus:';
const channelOf = (to: string): string => (to === BROADCAST ? `${CHANNEL}all` : `${CHANNEL}r:${to}`);

/** Redis pub/sub: one channel per replica, one for broadcasts. */
export class RedisSessionBus implements SessionBus {
  private handler: (message: BusMessage) => void = () => {};
  private warnedAt = 0;
  /** This process among replicas that may share an id by mistake: broadcasts from a twin still count. */
  private readonly from: string;

  /** `pub`: a command connection (shared); `sub`: a connection of its own (subscriber mode). */
  constructor(readonly replica: string, private readonly pub: Redis, private readonly sub: Redis, private readonly logger: Logger) {
    this.from = `${replica}~${randomBytes(6).toString('hex')}`;
    sub.on('error', () => undefined); // reconnects by itself; subscriptions are renewed on ready
    const subscribe = () => void sub.subscribe(channelOf(replica), channelOf(BROADCAST)).catch((err: unknown) => this.warn('session bus: subscribe failed', err));
    sub.on('ready', subscribe);
    if (sub.status === 'ready') subscribe();
    sub.on('message', (_channel: string, text: string) => this.receive(text));
  }

  publish(to: string, message: BusMessage): void {
    const text = JSON.stringify({ ...message, from: this.from });
    if (text.length > MAX_BUS_MESSAGE_BYTES[message.t]) {
      this.warn('session bus: message too large to relay to another replica, dropped', new Error(`${text.length} bytes, kind ${message.t}`));
      return;
    }
    this.pub.publish(channelOf(to), text).catch((err: unknown) => this.warn('session bus: publish failed', err));
  }

  onMessage(handler: (message: BusMessage) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }

  private receive(text: string): void {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    const msg = m as BusMessage & { from?: unknown };
    if (msg.from === this.from || !KINDS.has(msg.t) || typeof msg.sid !== 'string') return;
    try {
      this.handler(msg);
    } catch (err) {
      this.warn('session bus: a message could not be handled', err);
    }
  }

  /** At most one warning per 10 s: an outage must not flood the log. */
  private warn(what: string, err: unknown): void {
    const now = Date.now();
    if (now - this.warnedAt < 10_000) return;
    this.warnedAt = now;
    this.logger.warn(what, { error: err instanceof Error ? err.message : String(err) });
  }
}
