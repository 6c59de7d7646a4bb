// The 2025-11-25 sessions this process serves. The session index
// (src/sessions) is the authority: a session exists while its entry does,
// whoever opened it. This table keeps this process's copy of each session a
// request reached (its requests in flight, its relayed requests, the GET
// stream if it is held here), rebuilt from the entry when a request for a
// session opened elsewhere arrives. With one hub the index is in memory and
// every copy is the session; behind a balancer (cluster.enabled) the index
// is in Redis and the bus (Redis pub/sub) carries to the right replica what
// belongs to one place: the GET stream's messages, a relayed request's
// answer, a cancellation, the session's end.

import { randomUUID } from 'node:crypto';
import { HatagoError } from '../errors/index.js';
import type { Hub } from '../hub/hub.js';
import type { HubLogger, Principal } from '../hub/types.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import { TRANSPORT_STAGE } from '../pipeline/transport/stage.js';
import { BROADCAST, type BusMessage, type SessionBus } from '../sessions/session-bus.js';
import { FOREIGN, type SessionIndex, type SessionRecord } from '../sessions/session-index.js';
import type { CallerBase } from './caller.js';
import { LegacySession, relayedBy, type SessionReplicas } from './legacy-session.js';
import type { SessionLimits } from './session-limits.js';
import type { SseStream } from './sse.js';

type Msg = Record<string, unknown>;

/** Whether the token behind a principal still holds (not expired, not revoked). */
export type TokenCheck = (principal: Principal) => Promise<'ok' | 'expired' | 'revoked'>;

type Verdict = 'ok' | 'expired' | 'revoked' | 'unverifiable';

/** How often sessions are checked for idleness and for revoked or expired tokens. */
const SWEEP_MS = 2000;
/** How often open GET streams get an SSE comment (a half-open connection is found when the write fails). */
const HEARTBEAT_MS = 15_000;

/** How often a busy copy restarts its entry's idle time: a third of it, between 250 ms and 10 s. */
function keepAliveEvery(session: LegacySession): number {
  return Math.min(10_000, Math.max(250, Math.floor(session.idleTimeoutMs / 3)));
}

/** Which token a request came with: only the latest token's end ends a session. */
export function tokenKey(p: Principal | null): string {
  if (!p) return '';
  const { jti, iat, exp } = p.claims;
  return typeof jti === 'string' ? `jti:${jti}` : `${p.sub}|${String(iat)}|${String(exp)}`;
}

export interface SessionTableOptions {
  hub: Hub;
  logger: HubLogger;
  index: SessionIndex;
  /** Behind a balancer: the other replicas. Absent: one hub. */
  bus?: SessionBus;
  /** With authentication: sessions and GET streams end when their token is revoked or expires. */
  tokenCheck?: TokenCheck;
  /** Receives `session_closed` (idle, token revoked or expired). */
  events: SecurityEventSink;
}

export class SessionTable {
  private readonly copies = new Map<string, LegacySession>();
  private readonly hub: Hub;
  private readonly logger: HubLogger;
  private readonly index: SessionIndex;
  private readonly bus: SessionBus | undefined;
  private readonly replicas: SessionReplicas | undefined;
  private readonly tokenCheck: TokenCheck | undefined;
  private readonly events: SecurityEventSink;
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;
  private warnedAt = 0;
  private lastHeartbeat = Date.now();
  /** Sessions whose token the last sweep could not check (the revocation store did not answer). */
  private readonly unverified = new Set<string>();

  constructor(opts: SessionTableOptions) {
    this.hub = opts.hub;
    this.logger = opts.logger;
    this.index = opts.index;
    this.bus = opts.bus;
    this.tokenCheck = opts.tokenCheck;
    this.events = opts.events;
    const bus = opts.bus;
    if (bus) {
      this.replicas = { self: bus.replica, publish: (to, m) => bus.publish(to, m) };
      bus.onMessage((m) => this.receive(m));
    }
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Sessions this process holds a copy of. */
  get size(): number {
    return this.copies.size;
  }

  /** The session must be served here (drain): with one hub it lives only in this process; behind a balancer any replica serves it. */
  pinnedHere(id: string): boolean {
    return this.bus === undefined && this.copies.has(id);
  }

  /** A session for the initialize request of `base`'s caller; registered by `admit` once its decision allowed it. */
  create(base: CallerBase, capabilities: Msg): LegacySession {
    const owner = base.principal?.sub ?? null;
    const session = new LegacySession(randomUUID(), owner, base.principal, owner ?? `anonymous:${base.client.ip ?? ''}`, true, this.replicas);
    session.clientCapabilities = capabilities;
    return session;
  }

  /** Registers the session in the index within the decision's caps (else ERR_SESSION_LIMIT), and with the hub. */
  async admit(session: LegacySession, limits: SessionLimits, base: CallerBase): Promise<void> {
    session.idleTimeoutMs = limits.idleTimeoutMs;
    const record: SessionRecord = {
      owner: session.owner, ownerKey: session.ownerKey, protocolVersion: session.protocolVersion, capabilities: session.clientCapabilities,
      idleTimeoutMs: limits.idleTimeoutMs, replica: this.replicas?.self ?? '', stream: '', logLevel: 0, token: tokenKey(base.principal),
    };
    let hit;
    try {
      hit = await this.index.open(session.id, record, { maxTotal: limits.maxTotal, maxPerPrincipal: limits.maxPerPrincipal });
    } catch (err) {
      // The open may have been written with its answer lost: no orphan should hold a place under the caps.
      this.index.end(session.id).catch(() => undefined);
      throw err;
    }
    if (hit) throw Object.defineProperty(new HatagoError('ERR_SESSION_LIMIT', { data: { ...hit } }), 'stage', { value: TRANSPORT_STAGE.name });
    this.hold(session, base);
  }

  /**
   * The session a request names, for its caller: its index entry's idle time
   * restarted, this process's copy rebuilt from the entry if it has none. A
   * session that ended, or that belongs to another principal, does not exist.
   */
  async find(id: string, base: CallerBase): Promise<LegacySession> {
    const owner = base.principal?.sub ?? null;
    const copy = this.copies.get(id);
    // Another principal's request changes nothing, not even the session's idle time.
    const record = await this.index.touch(id, { owner, token: tokenKey(base.principal) }, copy === undefined);
    if (record === FOREIGN) throw new HatagoError('ERR_SESSION_NOT_FOUND');
    if (!record) {
      // Ended elsewhere and the word has not arrived yet, or past its idle time: recorded by whoever removes it.
      if (copy) await this.finish(copy, 'idle', true);
      throw new HatagoError('ERR_SESSION_NOT_FOUND');
    }
    const session = copy ?? this.rebuild(id, record, base);
    session.syncFrom(record);
    session.touch(base.principal);
    session.indexTouchedAt = Date.now();
    return session;
  }

  /** A request on the session has ended: idle from now, and the index told if a long call outlived a keep-alive period. */
  settled(session: LegacySession): void {
    session.markActive();
    if (session.inflightCount === 0 && Date.now() - session.indexTouchedAt > keepAliveEvery(session)) void this.keepAlive(session);
  }

  /** A call runs or a stream is open on this copy: the index entry's idle time is restarted until neither is so. */
  busy(session: LegacySession): void {
    if (session.keepAlive || session.closed) return;
    session.keepAlive = setInterval(() => {
      if (session.inflightCount === 0 && !session.hasOpenStream) {
        clearInterval(session.keepAlive);
        session.keepAlive = undefined;
        return;
      }
      void this.keepAlive(session);
    }, keepAliveEvery(session));
    session.keepAlive.unref();
  }

  private async keepAlive(session: LegacySession): Promise<void> {
    session.indexTouchedAt = Date.now();
    let record;
    try {
      record = await this.index.touch(session.id);
    } catch (err) {
      this.warnOnce('session index: a busy session could not be kept alive; tried again', err);
      return;
    }
    // Ended elsewhere (a lost word on the bus) or removed: this copy, its stream and calls end too.
    if (record === undefined && !session.closed) await this.finish(session, 'idle', true);
  }

  /** DELETE: the session ends everywhere (an index that cannot remove it fails the request, and the session stays). */
  async remove(session: LegacySession): Promise<void> {
    await this.index.end(session.id);
    this.drop(session, true);
    this.bus?.publish(BROADCAST, { t: 'ended', sid: session.id });
  }

  /**
   * The client's answer to a relayed request: to the replica that relayed it
   * when no copy here waits for it (its id may name this replica's id if
   * another process was given the same one; this process ignores its own).
   */
  answer(session: LegacySession, body: Msg): void {
    if (session.resolveResponse(body)) return;
    const by = relayedBy(body.id);
    if (by !== undefined) this.bus?.publish(by, { t: 'answer', sid: session.id, body });
  }

  /** notifications/cancelled: for the request wherever it runs (only its id and a short reason travel). */
  cancel(session: LegacySession, params: unknown): void {
    if (session.cancel(params) || !this.bus || typeof params !== 'object' || params === null) return;
    const { requestId, reason } = params as Msg;
    if (!((typeof requestId === 'string' && requestId.length <= 256) || typeof requestId === 'number')) return;
    this.bus.publish(BROADCAST, { t: 'cancel', sid: session.id, params: { requestId, ...(typeof reason === 'string' && { reason: reason.slice(0, 256) }) } });
  }

  /**
   * GET: the session's standalone stream is held here from now on; false when
   * one is open here already. While it is open, the index entry's idle time
   * is restarted every third of it (an open stream keeps its session).
   */
  async attachStream(session: LegacySession, stream: SseStream, onClose: (cb: () => void) => void, principal: Principal | null): Promise<boolean> {
    if (session.closed || !session.attachGetStream(stream, onClose, principal)) return false;
    this.busy(session);
    const self = this.replicas?.self;
    const before = session.streamAt;
    onClose(() => {
      if (session.closed) return;
      // Idle from the stream's end, as the copy counts it.
      void this.keepAlive(session);
      if (self === undefined) return;
      session.streamAt = '';
      this.index.releaseStream(session.id, self).catch((err: unknown) => this.warnOnce('session index: stream release failed', err));
    });
    if (self === undefined) return true;
    session.streamAt = self;
    await this.index.update(session.id, { stream: self });
    // The client reconnected here: a stream the old holder still thinks open ends there.
    if (before !== '' && before !== self) this.bus?.publish(before, { t: 'release', sid: session.id });
    return true;
  }

  /** Shutdown: with one hub every session ends; behind a balancer only these copies (the sessions go on elsewhere). */
  closeAll(): void {
    clearInterval(this.sweeper);
    for (const s of this.copies.values()) {
      if (this.replicas && s.hasOpenStream) this.index.releaseStream(s.id, this.replicas.self).catch(() => undefined);
      s.close('replica stopping', this.bus === undefined);
    }
    this.copies.clear();
  }

  // -- copies ------------------------------------------------------------------

  private hold(session: LegacySession, base: CallerBase): void {
    this.copies.set(session.id, session);
    session.onLogLevel = (level) => {
      this.bus?.publish(BROADCAST, { t: 'level', sid: session.id, level });
      this.index.update(session.id, { logLevel: level }).catch((err: unknown) => this.warnOnce('session index: log level not saved', err));
    };
    // The policy decides what the session hears for whoever holds it now (a refreshed or narrower token).
    session.disconnectHub = this.hub.connect(session.id, session, () => ({ ...session.context(base), principal: session.observer }));
  }

  /** A copy of a session another replica opened: its state from the index, its upstream sessions this replica's own. */
  private rebuild(id: string, record: SessionRecord, base: CallerBase): LegacySession {
    const session = new LegacySession(id, record.owner, base.principal, record.ownerKey, record.replica === this.replicas?.self, this.replicas);
    session.protocolVersion = record.protocolVersion;
    session.clientCapabilities = record.capabilities;
    session.idleTimeoutMs = record.idleTimeoutMs;
    this.hold(session, base);
    return session;
  }

  /** This copy goes; `ended`: the session is over (its flow history with it). */
  private drop(session: LegacySession, ended: boolean): void {
    if (this.copies.get(session.id) === session) this.copies.delete(session.id);
    this.unverified.delete(session.id);
    session.close(ended ? 'session closed' : 'session moved', ended);
  }

  /**
   * Ends the session everywhere: this copy, the index entry, the other
   * replicas' copies. `audit`: record session_closed, once, by the replica
   * whose call removed the entry (an entry past its idle time stays a grace
   * period for that).
   */
  private async finish(session: LegacySession, reason: string, audit: boolean): Promise<void> {
    this.drop(session, true);
    let endedHere = false;
    try {
      endedHere = await this.index.end(session.id);
    } catch (err) {
      this.warnOnce('session index: end not recorded (the entry expires by itself)', err);
    }
    this.bus?.publish(BROADCAST, { t: 'ended', sid: session.id });
    if (audit && endedHere) await this.record(session, reason);
  }

  /** At most one warning per 10 s: an outage must not flood the log. */
  private warnOnce(what: string, err: unknown): void {
    const now = Date.now();
    if (now - this.warnedAt < 10_000) return;
    this.warnedAt = now;
    this.logger.warn(what, { error: err instanceof Error ? err.message : String(err) });
  }

  private async record(session: LegacySession, reason: string): Promise<void> {
    this.logger.info('session ended', { sessionId: session.id, user: session.owner, reason });
    await this.events({ event: 'session_closed', user: session.owner, sessionId: session.id, metadata: { reason } }).catch((err: unknown) =>
      this.logger.error('audit record of an ended session failed', { error: String(err) }));
  }

  // -- the bus -----------------------------------------------------------------

  private receive(m: BusMessage): void {
    const session = this.copies.get(m.sid);
    if (!session) return;
    switch (m.t) {
      case 'answer':
        session.resolveResponse(m.body);
        return;
      case 'cancel':
        session.cancel(m.params);
        return;
      case 'send': {
        const stream = session.localStream;
        if (stream) {
          stream.send(m.message);
          return;
        }
        // The stream moved or closed since the sender looked: a relayed request fails now rather than at its timeout.
        const by = relayedBy(m.message.id);
        if (by !== undefined && typeof m.message.method === 'string') {
          this.bus?.publish(by, { t: 'answer', sid: session.id, body: { jsonrpc: '2.0', id: m.message.id, error: { code: -32603, message: 'No open stream to the client for this request' } } });
        }
        return;
      }
      case 'notify':
        if (session.localStream && Array.isArray(m.servers) && m.servers.length <= 256) this.hub.deliverFromReplica(session.id, m.servers.filter((x) => typeof x === 'string'), m.method, m.params);
        return;
      case 'level':
        if (typeof m.level === 'number') session.syncLevel(m.level);
        return;
      case 'release':
        session.endGetStream();
        return;
      case 'ended':
        this.drop(session, true);
        return;
    }
  }

  // -- the sweep ---------------------------------------------------------------

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
        for (const session of this.copies.values()) session.heartbeat();
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
      for (const session of [...this.copies.values()]) {
        try {
          if (!(await this.stillLive(session, now))) continue;
        } catch (err) {
          this.warnOnce('session index: sessions could not be checked; checked again at the next sweep', err);
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
          await this.tokenEnded(session, `token_${token}`);
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
      for (const id of this.unverified) if (!this.copies.has(id)) this.unverified.delete(id);
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Idleness, against the index: a copy idle here may be busy elsewhere; a
   * copy holding the GET stream keeps the entry alive. false: the session
   * ended (and this copy with it).
   */
  private async stillLive(session: LegacySession, now: number): Promise<boolean> {
    if (!session.isIdle(now)) return true;
    if (await this.index.peek(session.id)) {
      // Served elsewhere. A copy with nothing of its own here (no relayed request waiting, no
      // subscription) goes; the next request here rebuilds it.
      if (this.bus && session.pendingCount === 0 && !this.hub.hasSubscriptions(session.id)) {
        this.drop(session, false);
        return false;
      }
      session.markActive(); // checked again after another idle period
      return true;
    }
    await this.finish(session, 'idle', true);
    return false;
  }

  /**
   * This copy's token was revoked or expired. If it is the session's latest
   * token the session ends everywhere; if the client went on with another
   * token on another replica, only this copy goes (the next request here
   * rebuilds it with that token).
   */
  private async tokenEnded(session: LegacySession, reason: string): Promise<void> {
    if (this.bus) {
      let record: SessionRecord | undefined;
      try {
        record = await this.index.peek(session.id);
      } catch {
        record = undefined; // cannot tell: fail closed, the session ends
      }
      if (record && record.token !== tokenKey(session.principal)) {
        this.logger.info('session copy dropped: its token ended, the session goes on with a newer one', { sessionId: session.id, reason });
        return this.drop(session, false);
      }
    }
    await this.finish(session, reason, true);
  }
}
