import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { plainIp, requestHeader as header } from '../util/incoming-request.js';
import { networkInput, type NetworkFacts } from './policy-input.js';
import type { PolicyDecider, PolicySource } from './policy-source.js';
import type { RecentActivity, SecurityEventSink } from './security-events.js';

export function networkFacts(req: IncomingMessage): NetworkFacts {
  const xff = header(req, 'x-forwarded-for');
  return {
    socketIp: req.socket.remoteAddress ?? null,
    forwardedFor: xff ? xff.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : [],
    origin: header(req, 'origin'),
    userAgent: header(req, 'user-agent'),
    http: { method: req.method ?? 'GET', path: requestPath(req) },
  };
}

/** The path as the client sent it, query and fragment cut off (express keeps it in originalUrl when a router is mounted). */
function requestPath(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  return url.split(/[?#]/, 1)[0] ?? '';
}

export interface NetworkStageOptions {
  /** Recent failures and blocks per address (`input.recent.addresses`), from the suspicious-activity monitor. */
  recent?: RecentActivity;
  /** Receives `network_denied`; awaited before the deny is answered. */
  events?: SecurityEventSink;
}

interface NetworkVerdict {
  engine: PolicyDecider;
  decision: ReturnType<PolicyDecider['decide']>;
  facts: NetworkFacts;
}

async function decide(policy: PolicySource, req: IncomingMessage, recent: RecentActivity | undefined): Promise<NetworkVerdict> {
  const facts = networkFacts(req);
  const input = networkInput(facts);
  if (recent) {
    const ips = facts.socketIp ? [facts.socketIp, ...facts.forwardedFor] : facts.forwardedFor;
    // Node may report IPv4 peers as ::ffff:a.b.c.d; the monitor keys them as the policy's client_ip.
    const plain = ips.map(plainIp);
    input.recent = { addresses: await recent.addresses([...new Set([...ips, ...plain])]) };
  }
  const engine = policy.current();
  return { engine, decision: engine.decide(input), facts };
}

function denied(v: NetworkVerdict, decisionId: string, log: Logger): HatagoError {
  log.warn('network denied', {
    component: 'network',
    decisionId,
    revision: v.engine.revision,
    ip: v.facts.socketIp,
    origin: v.facts.origin,
    code: v.decision.code,
    reasons: v.decision.reasons,
  });
  return new HatagoError(v.decision.code, { data: { decisionId, ...blockEnd(v.decision.raw) }, detail: v.decision.reasons.map((r) => r.rule).join(',') });
}

/**
 * A suspicious-activity block (ERR_CLIENT_BLOCKED) ends when the policy says
 * (`blocked_until_ns`): the client sees the time and how many seconds to wait
 * (`retryAfter`, also sent as the Retry-After header).
 */
function blockEnd(raw: unknown, nowMs = Date.now()): { blockedUntil: string; retryAfter: number } | Record<string, never> {
  const ns = (raw as { blocked_until_ns?: unknown } | undefined)?.blocked_until_ns;
  if (typeof ns !== 'number' || !Number.isFinite(ns)) return {};
  // ns above 2^53 are not exact: the nearest ms is the one the runtime gave (now_ns is ms * 1e6).
  const untilMs = Math.round(ns / 1e6);
  return { blockedUntil: new Date(untilMs).toISOString(), retryAfter: Math.max(1, Math.ceil((untilMs - nowMs) / 1000)) };
}

/**
 * The network stage: the policy decides on the client address and Origin
 * before anything else (no body read, no token verified), and returns the
 * effective client address it derived (trusted proxies). A deny is recorded
 * (`network_denied`) before it is answered; no record, no answer but 503.
 */
export async function networkStage(policy: PolicySource, req: IncomingMessage, log: Logger, opts: NetworkStageOptions = {}): Promise<{ clientIp: string | null; facts: NetworkFacts }> {
  const v = await decide(policy, req, opts.recent);
  if (v.decision.allow === true) return { clientIp: v.decision.clientIp ?? v.facts.socketIp, facts: v.facts };
  const decisionId = randomUUID();
  const err = denied(v, decisionId, log);
  if (opts.events) {
    try {
      await opts.events({
        event: 'network_denied',
        ip: v.decision.clientIp ?? v.facts.socketIp,
        userAgent: v.facts.userAgent,
        decisionId,
        revision: v.engine.revision,
        metadata: { code: v.decision.code, reasons: v.decision.reasons, origin: v.facts.origin, socketIp: v.facts.socketIp, forwardedFor: v.facts.forwardedFor },
      });
    } catch {
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE', { data: { decisionId } });
    }
  }
  throw err;
}
