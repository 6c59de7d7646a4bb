import { HatagoError } from '../errors/index.js';
import type { CallerContext, GuardRequest, GuardResult, RequestGuard } from '../hub/types.js';
import type { Logger } from '../log/logger.js';
import { enforceLimits, readLimits, type RateLimitStore } from '../ratelimit/index.js';
import type { SecurityEventSink } from './security-events.js';

export interface RateLimitStageOptions {
  store: RateLimitStore;
  logger: Logger;
  /** Receives rate_limit_exceeded (hatago_rate_limit_exceeded_total counts it, src/metrics). */
  events: SecurityEventSink;
  now?: () => number;
}

/**
 * The rate-limit stage, right after the policy: the policy's decision names
 * the limits that apply (`rate_limits`); this stage counts them and refuses
 * when any is spent. It never chooses a limit itself. A malformed
 * `rate_limits` is a policy error: the request fails closed.
 */
export class RateLimitStage implements RequestGuard {
  private readonly log: Logger;

  constructor(
    private readonly inner: RequestGuard,
    private readonly opts: RateLimitStageOptions,
  ) {
    this.log = opts.logger.child({ component: 'rate-limit' });
  }

  async check(ctx: CallerContext, req: GuardRequest): Promise<GuardResult> {
    const result = await this.inner.check(ctx, req);
    const raw = (result.output as { rate_limits?: unknown } | undefined)?.rate_limits;
    if (raw === undefined) return result;
    let limits;
    try {
      limits = readLimits(raw);
    } catch (err) {
      this.log.error('policy returned malformed rate_limits', { decisionId: result.decisionId, error: (err as Error).message });
      throw new HatagoError('ERR_POLICY_EVALUATION', { data: { decisionId: result.decisionId } });
    }
    if (limits.length === 0) return result;
    const outcome = await enforceLimits(this.opts.store, limits, (this.opts.now ?? Date.now)());
    if (ctx.responseHeaders) Object.assign(ctx.responseHeaders, outcome.headers);
    if (outcome.allowed) return result;

    const error = outcome.error ?? new HatagoError('ERR_RATE_LIMITED');
    const limit = outcome.limit?.name ?? 'unavailable';
    this.log.warn('rate limit exceeded', { decisionId: result.decisionId, limit, key: outcome.limit?.key, user: ctx.principal?.sub ?? null, ip: ctx.client.ip });
    await this.opts.events({
      event: 'rate_limit_exceeded',
      level: 'warn',
      user: ctx.principal?.sub ?? null,
      sessionId: ctx.sessionId ?? null,
      ip: ctx.client.ip,
      userAgent: ctx.client.userAgent,
      decisionId: result.decisionId,
      ...(result.revision !== undefined && { revision: result.revision }),
      metadata: { limit, method: req.method, server: req.server ?? null, unavailable: outcome.unavailable },
    });
    throw new HatagoError(error.code, { data: { ...error.data, decisionId: result.decisionId }, ...(error.detail !== undefined && { detail: error.detail }) });
  }
}
