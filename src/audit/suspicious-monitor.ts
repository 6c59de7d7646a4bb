import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../log/logger.js';
import type { PolicySource } from '../pipeline/policy-source.js';
import type { RecentActivity, RecentAddress, SecurityEvent, SecurityEventSink } from '../pipeline/security-events.js';
import { CONTRACT_VERSION } from '../policy/engine.js';
import { MemorySuspiciousStore } from './suspicious/memory-store.js';
import type { CountKind, SuspiciousStore, WindowCounts } from './suspicious/store.js';

type Scope = 'ip' | 'user';

interface SuspiciousAnswer {
  window_ms?: unknown;
  cooldown_ms?: unknown;
  suspicious?: { ip?: unknown; user?: unknown };
  block_ms?: unknown;
}

export interface SuspiciousMonitorOptions {
  logger?: Logger;
  /** Wall clock in ms (tests pass a fake one). */
  now?: () => number;
  /** Where counts, raised marks and blocks live. Default: this process's memory (maxKeys, maxPerKey). */
  store?: SuspiciousStore;
  /** Memory store: most keys (addresses + users) remembered; the least recently seen go first. Default 10000. */
  maxKeys?: number;
  /** Memory store: most timestamps kept per key and kind; counts saturate there. Default 1000. */
  maxPerKey?: number;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback);

/**
 * Watches the security events for authentication failures and policy
 * denials, keeps sliding-window counts per address and per user, and asks
 * the policy (stage "suspicious") what they mean. It raises
 * `suspicious_activity` once per burst: after raising for a key it stays
 * quiet for that key until the policy no longer calls it suspicious or the
 * policy's cooldown has passed. A block the policy asks for is remembered
 * per address and handed to the network stage (`addresses`). The state is in
 * a SuspiciousStore: memory for one hub, Redis for replicas (a block set
 * through one replica holds on all of them).
 */
export class SuspiciousActivityMonitor implements RecentActivity {
  readonly store: SuspiciousStore;
  private readonly now: () => number;
  private readonly log: Logger;
  private windowMs = 60_000;
  private cooldownMs = 300_000;

  constructor(
    private readonly policy: PolicySource,
    opts: SuspiciousMonitorOptions = {},
  ) {
    this.store = opts.store ?? new MemorySuspiciousStore({ ...(opts.maxKeys !== undefined && { maxKeys: opts.maxKeys }), ...(opts.maxPerKey !== undefined && { maxPerKey: opts.maxPerKey }) });
    this.now = opts.now ?? Date.now;
    this.log = (opts.logger ?? silentLogger).child({ component: 'suspicious' });
    // Learn the window before the first event (the counts depend on it).
    this.ask(null, null, null);
  }

  /** A sink that passes every event on and raises suspicious_activity into the same sink. */
  wrap(sink: SecurityEventSink): SecurityEventSink {
    return async (e: SecurityEvent) => {
      await sink(e);
      const kind = e.event === 'authentication_failure' ? 'authFailures' : e.event === 'permission_denied' ? 'denials' : null;
      if (kind) await this.observe(kind, e, sink);
    };
  }

  async addresses(ips: readonly string[]): Promise<Record<string, RecentAddress>> {
    const out: Record<string, RecentAddress> = {};
    const now = this.now();
    const [blocks, counts] = await Promise.all([this.store.blockedUntil(ips), this.store.counts(ips.map((ip) => `ip:${ip}`), now, this.windowMs)]);
    ips.forEach((ip, i) => {
      const until = blocks[i] ?? 0;
      const c = counts[i] ?? null;
      if (!c && until === 0) return;
      out[ip] = {
        auth_failures: c ? c.auth_failures : 0,
        denials: c ? c.denials : 0,
        blocked_until_ns: until > now ? until * 1e6 : 0,
      };
    });
    return out;
  }

  private async observe(kind: CountKind, e: SecurityEvent, sink: SecurityEventSink): Promise<void> {
    const now = this.now();
    const keys: [Scope, string][] = [];
    if (e.ip) keys.push(['ip', e.ip]);
    if (e.user) keys.push(['user', e.user]);
    const counted = await this.store.record(kind, keys.map(([scope, value]) => `${scope}:${value}`), now, this.windowMs);
    const recent = (scope: Scope) => {
      const i = keys.findIndex(([s]) => s === scope);
      return i >= 0 ? counted[i]! : null;
    };
    const ipCounts = recent('ip');
    const userCounts = recent('user');
    const asked = this.ask(e.ip ?? null, ipCounts, userCounts);
    // Record field names avoid masked fragments ("key", "auth"): the sanitizer would hide them.
    const shown = (c: WindowCounts | null) => c && { failures: c.auth_failures, denials: c.denials };
    if (!asked) return;
    const { answer, decisionId, revision, reasons } = asked;

    for (const [scope, value] of keys) {
      const key = `${scope}:${value}`;
      const isSuspicious = answer.suspicious?.[scope] === true;
      if (!isSuspicious) {
        await this.store.clearRaise(key); // the burst is over for this key
        continue;
      }
      if (!(await this.store.claimRaise(key, now, this.cooldownMs))) continue;
      await sink(this.event(e, decisionId, revision, { scope, subject: value, counts: shown(scope === 'ip' ? ipCounts : userCounts), reasons, trigger: e.event }));
    }

    const blockMs = num(answer.block_ms, 0);
    if (e.ip && blockMs > 0) {
      const until = now + blockMs;
      const before = await this.store.block(e.ip, until);
      if (before <= now) {
        await sink(this.event(e, decisionId, revision, { scope: 'ip', subject: e.ip, action: 'blocked', blockedUntil: new Date(until).toISOString(), counts: shown(ipCounts), reasons, trigger: e.event }));
      }
    }
  }

  private event(e: SecurityEvent, decisionId: string, revision: string, metadata: Record<string, unknown>): SecurityEvent {
    return { event: 'suspicious_activity', level: 'warn', user: e.user ?? null, sessionId: e.sessionId ?? null, ip: e.ip ?? null, userAgent: e.userAgent ?? null, decisionId, revision, metadata };
  }

  /** Asks the policy; a failed or malformed answer is logged and treated as "not suspicious". */
  private ask(clientIp: string | null, ip: object | null, user: object | null): { answer: SuspiciousAnswer; decisionId: string; revision: string; reasons: unknown } | null {
    const engine = this.policy.current();
    const decisionId = randomUUID();
    // client_ip: the policy may exempt the address from blocks (security.suspicious.exemptAddresses).
    const d = engine.decide({ contract: CONTRACT_VERSION, stage: 'suspicious', now_ns: this.now() * 1e6, transport: 'http', client_ip: clientIp, recent: { ip, user } });
    const answer = (d as { raw?: unknown }).raw as SuspiciousAnswer | undefined;
    if (d.allow !== true || typeof answer !== 'object' || answer === null) {
      this.log.warn('the policy gave no suspicious-activity answer', { decisionId, revision: engine.revision, code: d.code, reasons: d.reasons });
      return null;
    }
    this.windowMs = num(answer.window_ms, this.windowMs);
    this.cooldownMs = num(answer.cooldown_ms, this.cooldownMs);
    return { answer, decisionId, revision: engine.revision, reasons: d.reasons };
  }
}
