import type { RateLimitConfig, RateLimitRule } from '../config/types.js';
import type { CallerContext, GuardRequest } from '../hub/types.js';
import { enforceLimits, type RateLimitOutcome } from './enforce.js';
import { MemoryStore } from './memory-store.js';
import { DecisionLimitsPolicy } from './decision-limits-policy.js';
import type { LimitsPolicy } from './policy.js';
import type { RateLimit, RateLimitStore } from './types.js';
import { CONTRACT_VERSION } from '../policy/engine.js';

/** A request as RateLimiter's key generator and filters see it (the guide's `req`). */
export interface RateLimitRequest {
  /** Effective client address; null on stdio. */
  ip?: string | null;
  /** The authenticated caller (principal sub and roles); null when anonymous. */
  user?: { id: string; roles?: string[] } | null;
  /** The MCP method; default `body.method`. */
  method?: string;
  /** Upstream server the request targets. */
  server?: string | null;
  /** Upstream-local tool/prompt name or resource URI. */
  name?: string | null;
  /** completion/complete: what it completes (prompt, resource, resourceTemplate). */
  kind?: string | null;
  /** The JSON-RPC message. */
  body?: { method?: string; params?: Record<string, unknown> } | null;
}

export type KeyGenerator = (req: RateLimitRequest) => string;
/**
 * Whether a rule applies to `req`. Only `true` matches: `false`, `undefined`
 * or `null` do not, so the guide's `req.body?.method?.includes('generate')`
 * works as written under strict TypeScript.
 */
export type RequestFilter = (req: RateLimitRequest) => boolean | undefined | null;

export interface RuleOptions {
  windowMs: number;
  max: number;
  /**
   * A declarative filter (docs/rate-limits.md grammar, evaluated in Rego) or
   * a JavaScript predicate. A predicate cannot travel to Rego: the runtime
   * calls it per request and passes the names of the rules it matched as
   * input.ratelimit.matched; the rule itself (window, max, tiers, key) stays
   * policy data and the policy decides.
   */
  filter?: string | string[] | RequestFilter;
  /** Default: `custom` once setKeyGenerator was called, else the limiter's keyGenerator. */
  keyGenerator?: RateLimitRule['keyGenerator'];
  tiers?: Record<string, number>;
  servers?: string[];
  tools?: string[];
}

export interface RateLimiterOptions {
  /** With max: a base rule named `name` (default "default"). */
  windowMs?: number;
  max?: number;
  name?: string;
  /** Key generator of the base rule and of added rules. Default `user` (ip without a principal). */
  keyGenerator?: RateLimitRule['keyGenerator'];
  /** Config rules (security.rateLimit.rules), kept ahead of the base and added rules. */
  rules?: RateLimitRule[];
  enabled?: boolean;
  /** Counters. Default a new MemoryStore. */
  store?: RateLimitStore;
  /** The Rego policy that turns rules and a request into limits. Required by check/consume. */
  policy?: LimitsPolicy;
  /** Wall clock in ms. Default Date.now. */
  clock?: () => number;
}

/**
 * The guide's RateLimiter. It owns rules (as policy data) and counters; the
 * decision of which limits apply, with which key and max, is the policy's.
 */
export class RateLimiter {
  readonly store: RateLimitStore;
  private policy: LimitsPolicy | undefined;
  private defaultPolicy: Promise<LimitsPolicy> | undefined;
  private readonly clock: () => number;
  private readonly enabled: boolean;
  private readonly defaultKeyGenerator: NonNullable<RateLimitRule['keyGenerator']>;
  private readonly configRules: RateLimitRule[];
  private readonly added: { rule: Omit<RateLimitRule, 'keyGenerator'> & { keyGenerator?: RateLimitRule['keyGenerator'] }; filter?: RequestFilter }[] = [];
  private keyGenerator: KeyGenerator | undefined;
  private dirty = true;

  constructor(opts: RateLimiterOptions = {}) {
    this.store = opts.store ?? new MemoryStore();
    this.policy = opts.policy;
    this.clock = opts.clock ?? Date.now;
    this.enabled = opts.enabled ?? true;
    this.defaultKeyGenerator = opts.keyGenerator ?? 'user';
    this.configRules = [...(opts.rules ?? [])];
    if (opts.windowMs !== undefined || opts.max !== undefined) {
      if (opts.windowMs === undefined || opts.max === undefined) throw new TypeError('RateLimiter: windowMs and max go together');
      this.addRule(opts.name ?? 'default', { windowMs: opts.windowMs, max: opts.max });
    }
  }

  /** A custom key: rules without an explicit keyGenerator count under `<rule>:custom:<key>`. */
  setKeyGenerator(fn: KeyGenerator): this {
    this.keyGenerator = fn;
    this.dirty = true;
    return this;
  }

  addRule(name: string, opts: RuleOptions): this {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new TypeError(`RateLimiter: bad rule name ${JSON.stringify(name)}`);
    if (this.rules().some((r) => r.name === name)) throw new TypeError(`RateLimiter: a rule named ${name} exists`);
    if (!(Number.isInteger(opts.windowMs) && opts.windowMs > 0)) throw new TypeError('RateLimiter: windowMs must be a whole number above 0');
    if (!(Number.isInteger(opts.max) && opts.max >= 0)) throw new TypeError('RateLimiter: max must be a whole number, 0 or more');
    const rule: RateLimitRule = { name, windowMs: opts.windowMs, max: opts.max };
    if (opts.keyGenerator) rule.keyGenerator = opts.keyGenerator;
    if (opts.tiers) rule.tiers = { ...opts.tiers };
    if (opts.servers) rule.servers = [...opts.servers];
    if (opts.tools) rule.tools = [...opts.tools];
    let filter: RequestFilter | undefined;
    if (typeof opts.filter === 'function') {
      filter = opts.filter;
      rule.runtimeFilter = true;
    } else if (opts.filter !== undefined) {
      rule.filter = typeof opts.filter === 'string' ? opts.filter : [...opts.filter];
    }
    this.added.push(filter ? { rule, filter } : { rule });
    this.dirty = true;
    return this;
  }

  /** The rules as the policy reads them at data.config.rateLimit.rules. */
  rules(): RateLimitRule[] {
    const fallback = this.keyGenerator ? 'custom' : this.defaultKeyGenerator;
    return [...this.configRules, ...this.added.map(({ rule }) => ({ ...rule, keyGenerator: rule.keyGenerator ?? fallback }))];
  }

  /** data.config.rateLimit for the policy (the hub merges it into the security config it hands the engine). */
  config(): RateLimitConfig {
    return { enabled: this.enabled, algorithm: 'sliding-window', rules: this.rules() };
  }

  /**
   * What the runtime adds to the policy input as `input.ratelimit`: the
   * custom key, and the names of the rules whose JavaScript filter matched.
   */
  inputAttributes(req: RateLimitRequest): { key?: string; matched: string[] } {
    const matched = this.added.filter((a) => a.filter !== undefined && a.filter(req) === true).map((a) => a.rule.name);
    const key = this.keyGenerator?.(req);
    return typeof key === 'string' && key !== '' ? { key, matched } : { matched };
  }

  /** The request-stage input the policy evaluates (docs/policy-contract.md, plus input.ratelimit). */
  policyInput(req: RateLimitRequest, nowMs: number = this.clock()): Record<string, unknown> {
    const user = req.user ?? null;
    return {
      contract: CONTRACT_VERSION,
      stage: 'request',
      now_ns: nowMs * 1e6,
      transport: 'http',
      client: { ip: req.ip ?? null },
      principal: user ? { sub: user.id, roles: user.roles ?? [] } : null,
      request: {
        method: req.method ?? req.body?.method ?? '',
        server: req.server ?? null,
        name: req.name ?? null,
        ...(req.kind ? { kind: req.kind } : {}),
      },
      ratelimit: this.inputAttributes(req),
    };
  }

  /** The limits the policy returns for this request. */
  limitsFor(req: RateLimitRequest, nowMs: number = this.clock()): RateLimit[] {
    const policy = this.requirePolicy();
    if (this.dirty) {
      policy.setConfig(this.config());
      this.dirty = false;
    }
    return policy.limits(this.policyInput(req, nowMs));
  }

  /** Would the request be admitted? Charges nothing. */
  async check(req: RateLimitRequest): Promise<RateLimitOutcome> {
    await this.ensurePolicy();
    const now = this.clock();
    return enforceLimits(this.store, this.limitsFor(req, now), now, { dryRun: true });
  }

  /** Admits and charges the request, or refuses it (charging nothing). */
  async consume(req: RateLimitRequest): Promise<RateLimitOutcome> {
    await this.ensurePolicy();
    const now = this.clock();
    return enforceLimits(this.store, this.limitsFor(req, now), now);
  }

  /** Without options.policy, the shipped bundle decides (loaded once, on first use). */
  private async ensurePolicy(): Promise<void> {
    if (this.policy) return;
    this.defaultPolicy ??= DecisionLimitsPolicy.load();
    this.policy = await this.defaultPolicy;
    this.dirty = true;
  }

  private requirePolicy(): LimitsPolicy {
    if (!this.policy) throw new TypeError('RateLimiter: limitsFor needs a policy (options.policy, or call check/consume once to load the shipped one)');
    return this.policy;
  }
}

/** The RateLimitRequest of a hub request (caller context and routed request). */
export function rateLimitRequestOf(ctx: CallerContext, req: GuardRequest, body?: RateLimitRequest['body']): RateLimitRequest {
  return {
    ip: ctx.client.ip,
    user: ctx.principal ? { id: ctx.principal.sub, roles: ctx.principal.roles } : null,
    method: req.method,
    server: req.server ?? null,
    name: req.name ?? null,
    body: body ?? null,
  };
}
