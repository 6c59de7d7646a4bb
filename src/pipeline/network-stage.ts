import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { networkInput, type NetworkFacts } from './policy-input.js';
import type { PolicySource } from './policy-source.js';

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : null;
}

export function networkFacts(req: IncomingMessage): NetworkFacts {
  const xff = header(req, 'x-forwarded-for');
  return {
    socketIp: req.socket.remoteAddress ?? null,
    forwardedFor: xff ? xff.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : [],
    origin: header(req, 'origin'),
    userAgent: header(req, 'user-agent'),
  };
}

/**
 * The network stage: the policy decides on the client address and Origin
 * before anything else (no body read, no token verified). Returns the
 * effective client address the policy derived (trusted proxies).
 */
export function checkNetwork(policy: PolicySource, req: IncomingMessage, log: Logger): { clientIp: string | null; facts: NetworkFacts } {
  const facts = networkFacts(req);
  const engine = policy.current();
  const decision = engine.decide(networkInput(facts));
  if (decision.allow !== true) {
    const decisionId = randomUUID();
    log.warn('network denied', {
      component: 'network',
      decisionId,
      revision: engine.revision,
      ip: facts.socketIp,
      origin: facts.origin,
      code: decision.code,
      reasons: decision.reasons,
    });
    throw new HatagoError(decision.code, { data: { decisionId }, detail: decision.reasons.map((r) => r.rule).join(',') });
  }
  return { clientIp: decision.clientIp ?? facts.socketIp, facts };
}
