// Where the suspicious-activity monitor keeps its state: sliding-window
// counts per key (an address or a user), the "raised" marks that hold a
// burst to one event per cooldown, and the blocks per address. One small
// interface, two implementations: MemorySuspiciousStore (one hub) and
// RedisSuspiciousStore (several replicas: a block set through one replica is
// enforced by all of them, and a burst spread over replicas is counted whole).

export type CountKind = 'authFailures' | 'denials';

export interface WindowCounts {
  auth_failures: number;
  denials: number;
}

export interface SuspiciousStore {
  /**
   * Records one event of `kind` at `nowMs` for every key, and returns every
   * key's counts inside the window (this event included), in order.
   */
  record(kind: CountKind, keys: readonly string[], nowMs: number, windowMs: number): Promise<WindowCounts[]>;
  /** Counts inside the window, or null for a key with nothing recorded. */
  counts(keys: readonly string[], nowMs: number, windowMs: number): Promise<(WindowCounts | null)[]>;
  /**
   * Marks `key` as raised at `nowMs` unless it was raised less than
   * `cooldownMs` ago. True when this call may raise (exactly one caller wins).
   */
  claimRaise(key: string, nowMs: number, cooldownMs: number): Promise<boolean>;
  /** The burst of `key` is over: the next suspicious answer raises at once. */
  clearRaise(key: string): Promise<void>;
  /** Blocks `ip` until at least `untilMs`. Resolves the end of the block before this call (0: none). */
  block(ip: string, untilMs: number): Promise<number>;
  /** The block end (epoch ms, 0 when none) of every address, in order. */
  blockedUntil(ips: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}
