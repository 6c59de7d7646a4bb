import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../log/logger.js';
import type { PolicySource } from '../pipeline/policy-source.js';
import type { RecentActivity, RecentAddress, SecurityEvent, SecurityEventSink } from '../pipeline/security-events.js';
import { CONTRACT_VERSION } from '../policy/engine.js';

type Scope = 'ip' | 'user';

interface Counts {
  authFailures: number[];
  denials: number[];
}

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
  /** Most keys (addresses + users) remembered; the least recently seen go first. Default 10000. */
  maxKeys?: number;
  /** Most timestamps kept per key and kind; counts saturate there. Default 1000. */
  maxPerKey?: number;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback);

/** A Map that forgets its least recently touched key past `max` (bounded memory under attack). */
class LruMap<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  touch(key: string, make: () => V): V {
    const v = super.get(key) ?? make();
    super.delete(key);
    super.set(key, v);
    if (this.size > this.max) this.delete(this.keys().next().value as string);
    return v;
  }
}

/**
 * Watches the security events for authentication failures and policy
 * denials, keeps sliding-window counts per address and per user, and asks
 * the policy (stage "suspicious") what they mean. It raises
 * `suspicious_activity` once per burst: after raising for a key it stays
 * quiet for that key until the policy no longer calls it suspicious or the
 * policy's cooldown has passed. A block the policy asks for is remembered
 * per address and handed to the network stage (`addresses`).
 */
export class SuspiciousActivityMonitor implements RecentActivity {
  private readonly counts: LruMap<Counts>;
  private readonly raised: LruMap<number>;
  private readonly blocked: LruMap<number>;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly maxPerKey: number;
  private windowMs = 60_000;
  private cooldownMs = 300_000;

  constructor(
    private readonly policy: PolicySource,
    opts: SuspiciousMonitorOptions = {},
  ) {
    const maxKeys = opts.maxKeys ?? 10_000;
    this.counts = new LruMap(maxKeys);
    this.raised = new LruMap(maxKeys);
    this.blocked = new LruMap(maxKeys);
    this.now = opts.now ?? Date.now;
    this.log = (opts.logger ?? silentLogger).child({ component: 'suspicious' });
    this.maxPerKey = opts.maxPerKey ?? 1000;
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

  addresses(ips: readonly string[]): Record<string, RecentAddress> {
    const out: Record<string, RecentAddress> = {};
    const now = this.now();
    for (const ip of ips) {
      const key = `ip:${ip}`;
      const until = this.blocked.get(ip) ?? 0;
      const c = this.counts.get(key);
      if (!c && until === 0) continue;
      out[ip] = {
        auth_failures: c ? this.inWindow(c.authFailures, now) : 0,
        denials: c ? this.inWindow(c.denials, now) : 0,
        blocked_until_ns: until > now ? until * 1e6 : 0,
      };
    }
    return out;
  }

  private async observe(kind: keyof Counts, e: SecurityEvent, sink: SecurityEventSink): Promise<void> {
    const now = this.now();
    const keys: [Scope, string][] = [];
    if (e.ip) keys.push(['ip', e.ip]);
    if (e.user) keys.push(['user', e.user]);
    for (const [scope, value] of keys) {
      const list = this.counts.touch(`${scope}:${value}`, () => ({ authFailures: [], denials: [] }))[kind];
      list.push(now);
      if (list.length > this.maxPerKey) list.shift();
    }
    const recent = (scope: Scope, value: string | null | undefined) => {
      const c = value ? this.counts.get(`${scope}:${value}`) : undefined;
      return c ? { auth_failures: this.inWindow(c.authFailures, now), denials: this.inWindow(c.denials, now) } : null;
    };
    const ipCounts = recent('ip', e.ip);
    const userCounts = recent('user', e.user);
    const asked = this.ask(e.ip ?? null, ipCounts, userCounts);
    // Record field names avoid masked fragments ("key", "auth"): the sanitizer would hide them.
    const shown = (c: { auth_failures: number; denials: number } | null) => c && { failures: c.auth_failures, denials: c.denials };
    if (!asked) return;
    const { answer, decisionId, revision, reasons } = asked;

    for (const [scope, value] of keys) {
      const key = `${scope}:${value}`;
      const isSuspicious = answer.suspicious?.[scope] === true;
      if (!isSuspicious) {
        this.raised.delete(key); // the burst is over for this key
        continue;
      }
      const last = this.raised.get(key);
      if (last !== undefined && now - last < this.cooldownMs) continue;
      this.raised.touch(key, () => now);
      this.raised.set(key, now); // touch keeps an old value; this one counts from now
      await sink(this.event(e, decisionId, revision, { scope, subject: value, counts: shown(scope === 'ip' ? ipCounts : userCounts), reasons, trigger: e.event }));
    }

    const blockMs = num(answer.block_ms, 0);
    if (e.ip && blockMs > 0) {
      const until = now + blockMs;
      const current = this.blocked.get(e.ip) ?? 0;
      if (current <= now) {
        await sink(this.event(e, decisionId, revision, { scope: 'ip', subject: e.ip, action: 'blocked', blockedUntil: new Date(until).toISOString(), counts: shown(ipCounts), reasons, trigger: e.event }));
      }
      this.blocked.touch(e.ip, () => until);
      this.blocked.set(e.ip, Math.max(until, current));
    }
  }

  private event(e: SecurityEvent, decisionId: string, revision: string, metadata: Record<string, unknown>): SecurityEvent {
    return { event: 'suspicious_activity', level: 'warn', user: e.user ?? null, sessionId: e.sessionId ?? null, ip: e.ip ?? null, userAgent: e.userAgent ?? null, decisionId, revision, metadata };
  }

  private inWindow(list: number[], now: number): number {
    const from = now - this.windowMs;
    while (list.length > 0 && list[0]! <= from) list.shift();
    return list.length;
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
