// The policy stage of the token endpoints (stage "auth", package
// hatago.login): after the network stage, before the body is read. The
// policy allows the endpoint and names its rate limits; this module builds
// the input, enforces the answer and counts the limits. It decides nothing.

import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HatagoError } from '../../errors/index.js';
import type { Principal } from '../../hub/types.js';
import type { Logger } from '../../log/logger.js';
import { CONTRACT_VERSION, nowNs, principalInput } from '../../pipeline/policy-input.js';
import type { PolicySource } from '../../pipeline/policy-source.js';
import type { SecurityEventSink } from '../../pipeline/security-events.js';
import { withMaskedClaims } from '../../policy/decision-log/mask.js';
import { enforceLimits, readLimits, type RateLimitStore } from '../../ratelimit/index.js';

export type TokenEndpoint = 'auth/login' | 'auth/refresh' | 'auth/logout';

export interface AuthStageCaller {
  ip: string | null;
  origin: string | null;
  userAgent: string | null;
}

export interface AuthStageDeps {
  policy: PolicySource;
  rateLimits: RateLimitStore;
  events: SecurityEventSink;
  logger: Logger;
  now?: () => number;
}

export function authStageInput(method: TokenEndpoint, caller: AuthStageCaller, principal: Principal | null): Record<string, unknown> {
  return {
    contract: CONTRACT_VERSION,
    stage: 'auth',
    now_ns: nowNs(),
    transport: 'http',
    client: { ip: caller.ip, origin: caller.origin, user_agent: caller.userAgent },
    principal: principalInput(principal),
    request: { method, server: null, name: null },
  };
}

/**
 * Asks the policy about one call of a token endpoint and charges its rate
 * limits. Sets the X-RateLimit-* headers on `res`; throws the policy's deny
 * code, ERR_RATE_LIMITED or ERR_RATE_LIMIT_UNAVAILABLE.
 */
export async function authStage(deps: AuthStageDeps, method: TokenEndpoint, caller: AuthStageCaller, principal: Principal | null, res: ServerResponse): Promise<string> {
  const engine = deps.policy.current();
  const input = authStageInput(method, caller, principal);
  const decision = engine.decide(input);
  const decisionId = randomUUID();
  const log = deps.logger;
  // A refusal is in the audit trail before the answer, as at the request stage (no record, no answer).
  const denied = (code: string, reasons: { rule: string; message: string }[]) =>
    deps.events({
      event: 'permission_denied',
      level: 'warn',
      user: principal?.sub ?? null,
      sessionId: principal?.sessionId ?? null,
      ip: caller.ip,
      userAgent: caller.userAgent,
      decisionId,
      revision: engine.revision,
      metadata: { stage: 'auth', method, server: null, name: null, transport: 'http', ...(principal && { roles: principal.roles }), code, reasons, input: withMaskedClaims(input) },
    });
  if (decision.allow !== true) {
    log.warn('token endpoint denied by policy', { decisionId, revision: engine.revision, method, ip: caller.ip, code: decision.code, reasons: decision.reasons });
    await denied(decision.code, decision.reasons);
    throw new HatagoError(decision.code, { data: { decisionId }, detail: decision.reasons.map((r) => r.rule).join(',') });
  }
  let limits;
  try {
    limits = readLimits((decision.raw as { rate_limits?: unknown } | undefined)?.rate_limits ?? []);
  } catch (err) {
    log.error('policy returned malformed rate_limits', { decisionId, error: (err as Error).message });
    await denied('ERR_POLICY_EVALUATION', [{ rule: 'hatago.malformed_rate_limits', message: 'the policy returned malformed rate_limits' }]);
    throw new HatagoError('ERR_POLICY_EVALUATION', { data: { decisionId } });
  }
  const outcome = await enforceLimits(deps.rateLimits, limits, (deps.now ?? Date.now)());
  for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
  if (outcome.allowed) return decisionId;

  const error = outcome.error ?? new HatagoError('ERR_RATE_LIMITED');
  const limit = outcome.limit?.name ?? 'unavailable';
  log.warn('rate limit exceeded', { decisionId, method, limit, key: outcome.limit?.key, ip: caller.ip });
  await deps.events({
    event: 'rate_limit_exceeded',
    level: 'warn',
    user: principal?.sub ?? null,
    ip: caller.ip,
    userAgent: caller.userAgent,
    decisionId,
    revision: engine.revision,
    metadata: { limit, method, server: null, unavailable: outcome.unavailable },
  });
  throw new HatagoError(error.code, { data: { ...error.data, decisionId }, ...(error.detail !== undefined && { detail: error.detail }) });
}
