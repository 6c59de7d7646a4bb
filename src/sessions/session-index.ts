// The session index: what every replica must agree on about a 2025-11-25
// session. It is the session's authority: a session exists while its entry
// does, and any replica that holds the entry can serve the session (it
// rebuilds its own copy from it, src/http/session-table.ts). One interface,
// two stores: memory for a single hub, Redis (redis-session-index.ts) when
// `cluster.enabled` puts several replicas behind one balancer.

/** What a replica needs to serve a session it did not open. */
export interface SessionRecord {
  /** The principal (sub) the session is bound to; null for an anonymous session. */
  owner: string | null;
  /** Whose session it is for the per-principal cap (anonymous callers by address). */
  ownerKey: string;
  /** The negotiated revision. */
  protocolVersion: string;
  /** The capabilities the client declared at initialize. */
  capabilities: Record<string, unknown>;
  /** From the initialize decision's session_limits: the entry ends after this long without a request. */
  idleTimeoutMs: number;
  /** The replica that opened it. */
  replica: string;
  /** The replica holding the client's GET stream now ('' none). */
  stream: string;
  /** logging/setLevel: index into the MCP log levels (0: all). */
  logLevel: number;
  /** Which token the latest request came with (tokenKey): only that token's end ends the session. */
  token: string;
}

/** The cap an open would exceed. */
export interface SessionCapHit {
  limit: 'total' | 'per_principal';
  max: number;
}

export interface SessionCaps {
  maxTotal: number;
  maxPerPrincipal: number;
}

/** Who makes a request on a session: its principal (null: anonymous) and which token it came with. */
export interface SessionCaller {
  owner: string | null;
  token: string;
}

export type SessionPatch = Partial<Pick<SessionRecord, 'stream' | 'logLevel'>>;

/** What `touch` answers for a request by another principal than the owner (a 404 to the client, like an ended session). */
export const FOREIGN = 'foreign';

export interface SessionIndex {
  /** Registers a new session unless it would exceed a cap (then the cap, and nothing is written). */
  open(id: string, record: SessionRecord, caps: SessionCaps): Promise<SessionCapHit | undefined>;
  /**
   * A request on the session by `caller` (absent: a keep-alive while a
   * stream is open or a call runs): its entry with its idle time restarted
   * and the caller's token noted as the latest; undefined once it ended;
   * FOREIGN for a caller that is not its owner (whose request changes
   * nothing). `capabilities` are read only when asked (a copy being built).
   */
  touch(id: string, caller?: SessionCaller, withCapabilities?: boolean): Promise<SessionRecord | typeof FOREIGN | undefined>;
  /** The entry as it is (its idle time is not restarted); undefined once it ended. */
  peek(id: string): Promise<SessionRecord | undefined>;
  /** Sets fields of a live entry; one that ended stays ended. */
  update(id: string, patch: SessionPatch): Promise<void>;
  /** Clears the GET stream's holder if it is still `replica`. */
  releaseStream(id: string, replica: string): Promise<void>;
  /**
   * Removes the entry, ended or past its idle time; true when this call
   * removed it (so that exactly one replica records the end).
   */
  end(id: string): Promise<boolean>;
  close(): Promise<void>;
}

interface Entry {
  record: SessionRecord;
  expiresAt: number;
}

/** A single hub's index: the sessions of this process. */
export class MemorySessionIndex implements SessionIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly perOwner = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async open(id: string, record: SessionRecord, caps: SessionCaps): Promise<SessionCapHit | undefined> {
    // Entries past their idle time no longer count (the sweep ends their copies later).
    if (this.entries.size >= caps.maxTotal) for (const [k, e] of this.entries) if (!this.isLive(e)) this.remove(k, e);
    if (this.entries.size >= caps.maxTotal) return { limit: 'total', max: caps.maxTotal };
    const mine = this.perOwner.get(record.ownerKey) ?? new Set<string>();
    for (const k of mine) {
      const e = this.entries.get(k);
      if (e && !this.isLive(e)) this.remove(k, e);
    }
    if (mine.size >= caps.maxPerPrincipal) return { limit: 'per_principal', max: caps.maxPerPrincipal };
    this.entries.set(id, { record: { ...record }, expiresAt: this.now() + record.idleTimeoutMs });
    mine.add(id);
    this.perOwner.set(record.ownerKey, mine);
    return undefined;
  }

  async touch(id: string, caller?: SessionCaller): Promise<SessionRecord | typeof FOREIGN | undefined> {
    const e = this.live(id);
    if (!e) return undefined;
    if (caller && caller.owner !== e.record.owner) return FOREIGN;
    e.expiresAt = this.now() + e.record.idleTimeoutMs;
    if (caller) e.record.token = caller.token;
    return { ...e.record };
  }

  async peek(id: string): Promise<SessionRecord | undefined> {
    const e = this.live(id);
    return e && { ...e.record };
  }

  async update(id: string, patch: SessionPatch): Promise<void> {
    const e = this.live(id);
    if (e) Object.assign(e.record, patch);
  }

  async releaseStream(id: string, replica: string): Promise<void> {
    const e = this.live(id);
    if (e?.record.stream === replica) e.record.stream = '';
  }

  async end(id: string): Promise<boolean> {
    const e = this.entries.get(id);
    if (!e) return false;
    this.remove(id, e);
    return true;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.perOwner.clear();
  }

  private isLive(e: Entry): boolean {
    return e.expiresAt > this.now();
  }

  private remove(id: string, e: Entry): void {
    this.entries.delete(id);
    const mine = this.perOwner.get(e.record.ownerKey);
    mine?.delete(id);
    if (mine?.size === 0) this.perOwner.delete(e.record.ownerKey);
  }

  private live(id: string): Entry | undefined {
    const e = this.entries.get(id);
    return e && this.isLive(e) ? e : undefined;
  }
}
