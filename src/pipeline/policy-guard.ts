import { randomUUID } from 'node:crypto';
import { HatagoError } from '../errors/index.js';
import type { CallerContext, GuardRequest, GuardResult, RequestGuard } from '../hub/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { requestInput } from './policy-input.js';
import type { PolicySource } from './policy-source.js';

/**
 * The policy stage: asks the active policy about one MCP request and
 * enforces the answer. It decides nothing itself: only a literal allow from
 * the policy passes, everything else throws with the policy's code.
 */
export class PolicyGuard implements RequestGuard {
  private readonly log: Logger;

  constructor(
    private readonly policy: PolicySource,
    logger: Logger = silentLogger,
  ) {
    this.log = logger.child({ component: 'policy' });
  }

  async check(ctx: CallerContext, req: GuardRequest): Promise<GuardResult> {
    const engine = this.policy.current();
    const decisionId = randomUUID();
    const decision = engine.decide(requestInput(ctx, req));
    const facts = {
      decisionId,
      revision: engine.revision,
      method: req.method,
      server: req.server,
      name: req.name,
      user: ctx.principal?.sub ?? null,
      ip: ctx.client.ip,
    };
    if (decision.allow !== true) {
      this.log.warn('request denied', { ...facts, code: decision.code, reasons: decision.reasons });
      throw new HatagoError(decision.code, { data: { decisionId }, detail: decision.reasons.map((r) => r.rule).join(',') });
    }
    this.log.debug('request allowed', facts);
    return req.candidates ? { decisionId, visible: new Set(decision.visible ?? []) } : { decisionId };
  }
}
