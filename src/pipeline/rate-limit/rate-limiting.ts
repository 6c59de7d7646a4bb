import { HatagoError } from '../../errors/index.js';
import type { CallerContext, GuardRequest, GuardResult } from '../../hub/types.js';
import type { Logger } from '../../log/logger.js';
import { enforceLimits, readLimits, type RateLimit, type RateLimitOutcome, type RateLimitStore } from '../../ratelimit/index.js';
import type { PolicyDenial } from '../policy/policy-guard.js';
import type { SecurityEventSink } from '../security-events.js';

export interface RateLimitingOptions {
  store: RateLimitStore;
  logger: Logger;
  /** Receives rate_limit_exceeded (hatago_rate_limit_exceeded_total counts it, src/metrics). */
  events: SecurityEventSink;
  now?: () => number;
  /** Keys whose spent denial budget was reported, remembered until their window ends. Default 10000. */
  maxReportedKeys?: number;
  /** Told each counted request's result (hatago_rate_limit_decisions_total). */
  onCounted?: (result: 'allowed' | 'limited' | 'unavailable') => void;
}

/**
 * What the rate-limit stage does, right after the policy: the policy's
 * decision names the limits that apply (`rate_limits`); this counts them and
 * refuses when any is spent. It never chooses a limit itself. A malformed
 * `rate_limits` is a policy error: the request fails closed.
 *
 * Denied decisions carry `rate_limits` too (denial budgets per address and
 * principal): a denial within budget is answered as the policy said and
 * recorded; once a budget is spent the answer is 429 ERR_RATE_LIMITED, the
 * denial itself writes no record and this writes one `rate_limit_exceeded`
 * per key and window, so a flood of denials writes a bounded number of
 * records.
 */
export class RateLimiting {
  private readonly log: Logger;
  /** Denial-budget key -> epoch ms until which its refusals are not recorded again. */
  private readonly reported = new Map<string, number>();

  constructor(private readonly opts: RateLimitingOptions) {
    this.log = opts.logger.child({ component: 'rate-limit' });
  }

  /** Counts an allowed request against the limits its decision names; throws 429 (or 503) when one is spent. */
  async count(ctx: CallerContext, req: GuardRequest, result: GuardResult): Promise<void> {
    const limits = this.limitsOf(result.output, result.decisionId);
    if (limits.length === 0) return;
    const outcome = await enforceLimits(this.opts.store, limits, this.now());
    this.opts.onCounted?.(outcome.allowed ? 'allowed' : outcome.unavailable ? 'unavailable' : 'limited');
    if (ctx.responseHeaders) Object.assign(ctx.responseHeaders, outcome.headers);
    if (outcome.allowed) return;

    const limit = outcome.limit?.name ?? 'unavailable';
    this.log.warn('rate limit exceeded', { decisionId: result.decisionId, limit, key: outcome.limit?.key, user: ctx.principal?.sub ?? null, ip: ctx.client.ip });
    await this.recordExceeded(ctx, req, result.decisionId, result.revision, outcome, {});
    throw this.refusal(outcome, result.decisionId);
  }

  /**
   * Counts one denial against the budgets its decision names. Within budget
   * (or with no budget, or the store unreachable) the denial is reported and
   * answered as the policy said; over budget this throws 429 instead.
   */
  async denied(ctx: CallerContext, req: GuardRequest, denial: PolicyDenial): Promise<void> {
    let limits: RateLimit[];
    try {
      limits = this.limitsOf(denial.output, denial.decisionId);
    } catch (err) {
      await denial.report();
      throw err;
    }
    let outcome: RateLimitOutcome | undefined;
    try {
      outcome = limits.length === 0 ? undefined : await enforceLimits(this.opts.store, limits, this.now());
    } catch (err) {
      // Whatever the store did, the denial is answered as the policy said and recorded.
      this.log.error('denial budgets could not be counted', { decisionId: denial.decisionId, error: (err as Error)?.message ?? String(err) });
      await denial.report();
      return;
    }
    // An unreachable store never turns a denial into a 503: the request is refused either way.
    if (!outcome || outcome.allowed || outcome.unavailable) {
      await denial.report();
      return;
    }
    if (ctx.responseHeaders) Object.assign(ctx.responseHeaders, outcome.headers);
    const limit = outcome.limit!;
    if (this.firstInWindow(limit)) {
      this.log.warn('denial budget exceeded', { decisionId: denial.decisionId, limit: limit.name, key: limit.key, code: denial.code, user: ctx.principal?.sub ?? null, ip: ctx.client.ip });
      // silentUntilMs: no further record for this key before then.
      await this.recordExceeded(ctx, req, denial.decisionId, denial.revision, outcome, { denied: denial.code, silentUntilMs: this.reported.get(limit.key) });
    }
    throw this.refusal(outcome, denial.decisionId);
  }

  private limitsOf(output: unknown, decisionId: string): RateLimit[] {
    const raw = (output as { rate_limits?: unknown } | undefined)?.rate_limits;
    if (raw === undefined) return [];
    try {
      return readLimits(raw);
    } catch (err) {
      this.log.error('policy returned malformed rate_limits', { decisionId, error: (err as Error).message });
      throw new HatagoError('ERR_POLICY_EVALUATION', { data: { decisionId } });
    }
  }

  /** True once per key and window; remembers at most maxReportedKeys keys (oldest dropped first). */
  private firstInWindow(limit: RateLimit): boolean {
    const now = this.now();
    const until = this.reported.get(limit.key);
    if (until !== undefined && until > now) return false;
    this.reported.delete(limit.key);
    const max = this.opts.maxReportedKeys ?? 10000;
    if (this.reported.size >= max) {
      for (const [k, t] of this.reported) if (t <= now) this.reported.delete(k);
      while (this.reported.size >= max) this.reported.delete(this.reported.keys().next().value!);
    }
    this.reported.set(limit.key, now + limit.windowMs);
    return true;
  }

  private async recordExceeded(ctx: CallerContext, req: GuardRequest, decisionId: string, revision: string | undefined, outcome: RateLimitOutcome, extra: Record<string, unknown>): Promise<void> {
    await this.opts.events({
      event: 'rate_limit_exceeded',
      level: 'warn',
      user: ctx.principal?.sub ?? null,
      sessionId: ctx.sessionId ?? null,
      ip: ctx.client.ip,
      userAgent: ctx.client.userAgent,
      decisionId,
      ...(revision !== undefined && { revision }),
      metadata: { limit: outcome.limit?.name ?? 'unavailable', method: req.method, server: req.server ?? null, unavailable: outcome.unavailable, ...extra },
    });
  }

  private refusal(outcome: RateLimitOutcome, decisionId: string): HatagoError {
    const error = outcome.error ?? new HatagoError('ERR_RATE_LIMITED');
    return new HatagoError(error.code, { data: { ...error.data, decisionId }, ...(error.detail !== undefined && { detail: error.detail }) });
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}
