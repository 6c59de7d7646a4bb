import type { ServerResponse } from 'node:http';
import { HatagoError } from '../errors/index.js';
import type { HitResult, RateLimit, RateLimitStore } from './types.js';

/** What the rate-limit stage decided for one request. */
export interface RateLimitOutcome {
  allowed: boolean;
  /** The tightest limit (its values are in `headers`); absent with no limits or an unreachable store. */
  limit?: RateLimit;
  /** Its state. */
  result?: HitResult;
  /** Response headers to send with the answer, allowed or not. */
  headers: Record<string, string>;
  /** Why the request is refused: ERR_RATE_LIMITED (429) or ERR_RATE_LIMIT_UNAVAILABLE (503). */
  error?: HatagoError;
  /** The store could not be reached (allowed then follows its failOpen setting). */
  unavailable: boolean;
  /** Per limit, in order (empty when the store was unreachable). */
  results: HitResult[];
}

export interface EnforceOptions {
  /** Decide without charging (RateLimiter.check). */
  dryRun?: boolean;
}

/**
 * Counts every limit of one request and decides: all must admit, and a
 * refused request consumes no budget in any of them. Never throws for a
 * refusal: the outcome carries the HatagoError to answer with.
 *
 * Headers describe the tightest limit: on refusal the refusing limit that
 * frees up last (largest retry time); otherwise the limit with the fewest
 * requests remaining (then the smallest max, then config order).
 */
export async function enforceLimits(store: RateLimitStore, limits: readonly RateLimit[], nowMs: number, opts: EnforceOptions = {}): Promise<RateLimitOutcome> {
  if (limits.length === 0) return { allowed: true, headers: {}, unavailable: false, results: [] };
  const all = await store.hitAll(limits, nowMs, opts);
  if (all.unavailable) {
    if (all.allowed) return { allowed: true, headers: {}, unavailable: true, results: [] };
    return {
      allowed: false,
      headers: {},
      unavailable: true,
      results: [],
      error: new HatagoError('ERR_RATE_LIMIT_UNAVAILABLE', { detail: 'rate-limit store unreachable and failOpen is false' }),
    };
  }
  const i = tightest(limits, all.results, all.allowed);
  const limit = limits[i]!;
  const result = all.results[i]!;
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(limit.max),
    'X-RateLimit-Remaining': String(result.remaining),
    'X-RateLimit-Reset': String(Math.ceil(result.resetMs / 1000)),
  };
  if (all.allowed) return { allowed: true, limit, result, headers, unavailable: false, results: all.results };
  const retryAfter = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  headers['Retry-After'] = String(retryAfter);
  headers['X-RateLimit-RetryAfter'] = String(retryAfter);
  return {
    allowed: false,
    limit,
    result,
    headers,
    unavailable: false,
    results: all.results,
    error: new HatagoError('ERR_RATE_LIMITED', {
      detail: `limit ${limit.name} (${limit.max} per ${limit.windowMs} ms) on key ${limit.key}`,
      data: { limit: limit.name, retryAfter },
    }),
  };
}

function tightest(limits: readonly RateLimit[], results: readonly HitResult[], allowed: boolean): number {
  let best = -1;
  for (let i = 0; i < limits.length; i++) {
    const r = results[i]!;
    if (!allowed && r.allowed) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const b = results[best]!;
    const better = allowed
      ? r.remaining < b.remaining || (r.remaining === b.remaining && limits[i]!.max < limits[best]!.max)
      : r.retryAfterMs > b.retryAfterMs;
    if (better) best = i;
  }
  return best < 0 ? 0 : best;
}

/** Sets the outcome's headers on a node response (before it is sent). */
export function applyRateLimitHeaders(res: ServerResponse, outcome: RateLimitOutcome): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
}
