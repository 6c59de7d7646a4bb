import type { CountKind, SuspiciousStore, WindowCounts } from './store.js';

interface Counts {
  authFailures: number[];
  denials: number[];
}

export interface MemorySuspiciousStoreOptions {
  /** Most keys (addresses + users) remembered; the least recently seen go first. Default 10000. */
  maxKeys?: number;
  /** Most timestamps kept per key and kind; counts saturate there. Default 1000. */
  maxPerKey?: number;
}

/** A Map that forgets its least recently touched key past `max` (bounded memory under attack). */
class LruMap<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  touch(key: string, make: () => V): V {
    const v = super.get(key) ?? make();
    super.delete(key);
    super.set(key, v);
    if (this.size > this.max) this.delete(this.keys().next().value as string);
    return v;
  }
}

function inWindow(list: number[], nowMs: number, windowMs: number): number {
  const from = nowMs - windowMs;
  while (list.length > 0 && list[0]! <= from) list.shift();
  return list.length;
}

/** The monitor's state in this process: one hub. */
export class MemorySuspiciousStore implements SuspiciousStore {
  private readonly countsByKey: LruMap<Counts>;
  private readonly raised: LruMap<number>;
  private readonly blocked: LruMap<number>;
  private readonly maxPerKey: number;

  constructor(opts: MemorySuspiciousStoreOptions = {}) {
    const maxKeys = opts.maxKeys ?? 10_000;
    this.countsByKey = new LruMap(maxKeys);
    this.raised = new LruMap(maxKeys);
    this.blocked = new LruMap(maxKeys);
    this.maxPerKey = opts.maxPerKey ?? 1000;
  }

  async record(kind: CountKind, keys: readonly string[], nowMs: number, windowMs: number): Promise<WindowCounts[]> {
    for (const key of keys) {
      const list = this.countsByKey.touch(key, () => ({ authFailures: [], denials: [] }))[kind];
      list.push(nowMs);
      if (list.length > this.maxPerKey) list.shift();
    }
    return keys.map((key) => this.read(key, nowMs, windowMs) ?? { auth_failures: 0, denials: 0 });
  }

  async counts(keys: readonly string[], nowMs: number, windowMs: number): Promise<(WindowCounts | null)[]> {
    return keys.map((key) => this.read(key, nowMs, windowMs));
  }

  async claimRaise(key: string, nowMs: number, cooldownMs: number): Promise<boolean> {
    const last = this.raised.get(key);
    if (last !== undefined && nowMs - last < cooldownMs) return false;
    this.raised.touch(key, () => nowMs);
    this.raised.set(key, nowMs); // touch keeps an old value; this one counts from now
    return true;
  }

  async clearRaise(key: string): Promise<void> {
    this.raised.delete(key);
  }

  async block(ip: string, untilMs: number): Promise<number> {
    const current = this.blocked.get(ip) ?? 0;
    this.blocked.touch(ip, () => untilMs);
    this.blocked.set(ip, Math.max(untilMs, current));
    return current;
  }

  async blockedUntil(ips: readonly string[]): Promise<number[]> {
    return ips.map((ip) => this.blocked.get(ip) ?? 0);
  }

  async close(): Promise<void> {
    this.countsByKey.clear();
    this.raised.clear();
    this.blocked.clear();
  }

  private read(key: string, nowMs: number, windowMs: number): WindowCounts | null {
    const c = this.countsByKey.get(key);
    return c ? { auth_failures: inWindow(c.authFailures, nowMs, windowMs), denials: inWindow(c.denials, nowMs, windowMs) } : null;
  }
}
