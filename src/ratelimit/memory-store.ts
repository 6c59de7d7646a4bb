import type { HitAllOptions, HitAllResult, HitResult, RateLimit, RateLimitStore, RateLimitStoreStats } from './types.js';

// An exact sliding log in process memory. Each key keeps the timestamps of
// its admits that are still inside the window (at most `max` of them, since
// nothing beyond max is ever admitted). A request at t is admitted when fewer
// than max admits have s > t - windowMs. Checks are synchronous, so checking
// several limits and then charging them all is atomic in one process.

export interface MemoryStoreOptions {
  /**
   * Idle keys (no admit left inside their window) are dropped by a sweep that
   * runs during a check at most once per this many ms of the checks' clock.
   * Default 10000. `sweep(nowMs)` runs one by hand.
   */
  sweepIntervalMs?: number;
  /**
   * Bound on keys held. When a new key would exceed it, idle keys are swept;
   * if it is still full, the least recently used key is dropped (its budget
   * restarts: counted in stats().evictions). Default 1,000,000.
   */
  maxKeys?: number;
}

interface Log {
  /** Admit timestamps, ascending from `head`. */
  ts: number[];
  head: number;
  /** Window of the last check on this key (for the sweep). */
  windowMs: number;
}

export class MemoryStore implements RateLimitStore {
  private readonly logs = new Map<string, Log>();
  private readonly sweepIntervalMs: number;
  private readonly maxKeys: number;
  private lastSweepMs = -Infinity;
  private readonly counters = { checks: 0, admitted: 0, rejected: 0, evictions: 0 };

  constructor(opts: MemoryStoreOptions = {}) {
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 10_000;
    this.maxKeys = opts.maxKeys ?? 1_000_000;
    if (!(this.maxKeys >= 1)) throw new RangeError('maxKeys must be at least 1');
  }

  async hit(key: string, windowMs: number, max: number, nowMs: number): Promise<HitResult> {
    const r = this.hitAllSync([{ name: key, key, windowMs, max }], nowMs, false);
    return r.results[0]!;
  }

  async hitAll(limits: readonly RateLimit[], nowMs: number, opts: HitAllOptions = {}): Promise<HitAllResult> {
    return this.hitAllSync(limits, nowMs, opts.dryRun === true);
  }

  /** The same check, synchronously. */
  hitAllSync(limits: readonly RateLimit[], nowMs: number, dryRun = false): HitAllResult {
    this.maybeSweep(nowMs);
    const logs: (Log | undefined)[] = [];
    let allowed = true;
    for (const l of limits) {
      const log = this.logs.get(l.key);
      if (log) trim(log, nowMs, l.windowMs);
      logs.push(log);
      if (size(log) >= l.max) allowed = false;
    }
    const results: HitResult[] = [];
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i]!;
      // A key listed twice may have been created by its first occurrence.
      let log = logs[i] ?? this.logs.get(l.key);
      if (allowed) {
        if (!dryRun) {
          if (!log) {
            log = this.create(l.key, l.windowMs, nowMs);
            logs[i] = log;
          } else {
            // Most recently used last (LRU order for eviction).
            this.logs.delete(l.key);
            this.logs.set(l.key, log);
          }
          // Same key twice in one request: it was checked once and is charged once.
          if (!limits.slice(0, i).some((p) => p.key === l.key)) log.ts.push(nowMs);
          log.windowMs = l.windowMs;
          results.push(outcome(log, l, nowMs, true, false));
        } else {
          results.push(outcome(log, l, nowMs, false, true));
        }
      } else {
        results.push(outcome(log, l, nowMs, false, false));
      }
    }
    this.counters.checks++;
    if (allowed) this.counters.admitted++;
    else this.counters.rejected++;
    return { allowed, results, nowMs };
  }

  /** Drops every key with no admit left inside its window. Returns how many. */
  sweep(nowMs: number): number {
    this.lastSweepMs = nowMs;
    let dropped = 0;
    for (const [key, log] of this.logs) {
      const newest = log.ts[log.ts.length - 1];
      if (newest === undefined || newest <= nowMs - log.windowMs) {
        this.logs.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  stats(): RateLimitStoreStats {
    return { ...this.counters, unavailable: 0, failOpenAdmits: 0, failClosedDenies: 0, keys: this.logs.size, connected: true };
  }

  async close(): Promise<void> {
    this.logs.clear();
  }

  private maybeSweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs >= this.sweepIntervalMs) this.sweep(nowMs);
  }

  private create(key: string, windowMs: number, nowMs: number): Log {
    if (this.logs.size >= this.maxKeys) {
      this.sweep(nowMs);
      if (this.logs.size >= this.maxKeys) {
        const oldest = this.logs.keys().next().value;
        if (oldest !== undefined) this.logs.delete(oldest);
        this.counters.evictions++;
      }
    }
    const log: Log = { ts: [], head: 0, windowMs };
    this.logs.set(key, log);
    return log;
  }
}

function size(log: Log | undefined): number {
  return log ? log.ts.length - log.head : 0;
}

/** Forgets admits with s <= now - windowMs (they no longer count). */
function trim(log: Log, nowMs: number, windowMs: number): void {
  const edge = nowMs - windowMs;
  const ts = log.ts;
  let h = log.head;
  while (h < ts.length && ts[h]! <= edge) h++;
  if (h === ts.length) {
    ts.length = 0;
    h = 0;
  } else if (h > 16 && h * 2 > ts.length) {
    log.ts = ts.slice(h);
    h = 0;
  }
  log.head = h;
}

/**
 * The HitResult of one key. `charged`: the admit was just recorded.
 * `pending`: a dry run that would admit (counted as if recorded).
 */
function outcome(log: Log | undefined, l: RateLimit, nowMs: number, charged: boolean, pending: boolean): HitResult {
  const n = size(log);
  const count = n + (pending ? 1 : 0);
  const newest = pending ? nowMs : n > 0 ? log!.ts[log!.ts.length - 1]! : undefined;
  const allowed = charged || pending || n < l.max;
  let retryAfterMs = 0;
  if (!allowed) {
    // The (n - max + 1)-th oldest admit must leave the window first.
    retryAfterMs = l.max > 0 ? log!.ts[log!.head + n - l.max]! + l.windowMs - nowMs : l.windowMs;
  }
  return {
    allowed,
    count,
    remaining: Math.max(0, l.max - count),
    resetMs: newest === undefined ? nowMs : newest + l.windowMs,
    retryAfterMs,
  };
}
