// Contracts of the rate-limit stage. The policy (hatago.ratelimit) decides
// which limits apply; a RateLimitStore counts them in exact sliding windows.

import type { LogWriter } from '../log/logger.js';

/** One limit the policy returned for a request (data.hatago.ratelimit.limits[i]). */
export interface RateLimit {
  /** Rule name (for the error's data and the logs). */
  name: string;
  /** Counter key, e.g. `per-user:user:alice` or `global:ip:10.0.0.1`. */
  key: string;
  windowMs: number;
  /** Admits allowed in any interval of `windowMs`. 0 refuses everything. */
  max: number;
}

/** The state of one key after a check. */
export interface HitResult {
  /** This key has budget for the request. */
  allowed: boolean;
  /** Admits counted in the window, including this one when the request was admitted. */
  count: number;
  /** max - count, never below 0. */
  remaining: number;
  /** Epoch ms at which every counted admit has left the window (remaining back to max). */
  resetMs: number;
  /** 0 when allowed; else ms until one more request on this key would be admitted. */
  retryAfterMs: number;
}

export interface HitAllResult {
  /** Every limit admitted the request (and, unless dryRun, all were charged). */
  allowed: boolean;
  /** One per limit, in order. Empty when the store was unavailable. */
  results: HitResult[];
  /** The clock the store decided with (caller's nowMs, or Redis server time). */
  nowMs: number;
  /** The store could not be reached; `allowed` is then its failOpen setting. */
  unavailable?: boolean;
}

export interface HitAllOptions {
  /** Decide without charging any key (RateLimiter.check). */
  dryRun?: boolean;
}

export interface RateLimitStoreStats {
  checks: number;
  admitted: number;
  rejected: number;
  /** Checks that could not reach the store (Redis only). */
  unavailable: number;
  /** Of those, admitted because failOpen is true. */
  failOpenAdmits: number;
  /** Of those, refused because failOpen is false. */
  failClosedDenies: number;
  /** Keys held (memory) or null when unknown (Redis). */
  keys: number | null;
  /** Store reachable right now. */
  connected: boolean;
  /** Active keys dropped while still counting because maxKeys was reached (memory). */
  evictions: number;
}

/**
 * Counters for sliding windows. One small interface, two implementations:
 * MemoryStore (one process) and RedisStore (shared by several hubs).
 *
 * Exactness: in any interval of `windowMs`, a key is admitted at most `max`
 * times. An admit at time s counts at time t while t - s < windowMs.
 */
export interface RateLimitStore {
  /** Checks and charges one key. */
  hit(key: string, windowMs: number, max: number, nowMs: number): Promise<HitResult>;
  /**
   * Checks every limit of one request and charges all of them only when all
   * admit (check-then-commit, atomically): a refused request consumes no
   * budget anywhere.
   */
  hitAll(limits: readonly RateLimit[], nowMs: number, opts?: HitAllOptions): Promise<HitAllResult>;
  stats(): RateLimitStoreStats;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** The two levels the stores write at (HubLogger and winston fit it). */
export type RateLimitLogger = Pick<LogWriter, 'info' | 'warn'>;

export const noopRateLimitLogger: RateLimitLogger = { info() {}, warn() {} };
