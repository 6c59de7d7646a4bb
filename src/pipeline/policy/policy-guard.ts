import { randomUUID } from 'node:crypto';
import { HatagoError } from '../../errors/index.js';
import type { CallerContext, GuardCheckOptions, GuardRequest, GuardResult, RequestGuard } from '../../hub/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { requestInput } from '../policy-input.js';
import type { PolicyDecider, PolicySource } from '../policy-source.js';
import type { SecurityEventSink } from '../security-events.js';
import { withMaskedClaims } from '../../policy/decision-log/mask.js';
import type { FlowRecorder } from '../../flows/flow-history.js';
import { decisionCarriesAuthentication, type AuthenticationMethod } from '../authentication/stateless.js';

/**
 * One request decision, as observers (decision log, shadow evaluation, audit)
 * see it. `input` is exactly what the policy saw, unmasked: observers mask.
 */
export interface DecisionEvent {
  decisionId: string;
  revision: string;
  /** ISO time of the decision. */
  timestamp: string;
  input: Record<string, unknown>;
  result: { allow: boolean; code?: string; reasons: { rule: string; message: string }[]; visible?: string[] };
}

/**
 * Called once per request decision, after the policy decided and before the
 * guard answers. It must return at once (queue work, never await) and it can
 * never change the enforced result; a throw is logged and ignored.
 */
export type DecisionHook = (event: DecisionEvent) => void;

export interface PolicyGuardOptions {
  onDecision?: DecisionHook;
  /**
   * Receives permission_granted / permission_denied, one per decision, and is
   * awaited before the guard answers: a rejection fails the request closed
   * (ERR_AUDIT_UNAVAILABLE).
   */
  events?: SecurityEventSink;
  /** Flow history (docs/flows.md): what the caller did before, passed as input.session. */
  history?: FlowRecorder;
  /**
   * With authentication on: how callers authenticate. A stateless (2026-07-28) request's decision record then
   * carries `metadata.verified` (method, username: a key the log sanitizer does not mask), in place of a separate authentication_success.
   */
  authentication?: AuthenticationMethod;
}

/**
 * A request the policy denied. It carries the decision (`output`: its
 * `rate_limits` are the denial budgets the rate-limit stage counts) and the
 * report of the denial (warn log and permission_denied audit record), which
 * runs at most once: before the throw, or, when a later stage took the
 * reports over (`check` with `deferDenialReport`), when that stage says so, or never if
 * that stage answers 429 instead (a spent denial budget writes no record per
 * request: docs/rate-limits.md).
 */
export class PolicyDenial extends HatagoError {
  readonly decisionId: string;
  readonly revision: string;
  readonly output: unknown;
  private pending: (() => Promise<void>) | undefined;

  constructor(error: HatagoError, decision: { decisionId: string; revision: string; output: unknown }, report: () => Promise<void>) {
    super(error.code, { message: error.message, ...(error.detail !== undefined && { detail: error.detail }), ...(error.data !== undefined && { data: error.data }) });
    this.decisionId = decision.decisionId;
    this.revision = decision.revision;
    this.output = decision.output;
    this.pending = report;
  }

  /** Writes the denial's log line and audit record (once; later calls do nothing). */
  async report(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) await pending();
  }
}

/**
 * The policy stage: asks the active policy about one MCP request and
 * enforces the answer. It decides nothing itself: only a literal allow from
 * the policy passes, everything else throws with the policy's code.
 */
export class PolicyGuard implements RequestGuard {
  private readonly log: Logger;
  private readonly onDecision: DecisionHook | undefined;

  constructor(
    private readonly policy: PolicySource,
    logger: Logger = silentLogger,
    opts: PolicyGuardOptions = {},
  ) {
    this.log = logger.child({ component: 'policy' });
    this.onDecision = opts.onDecision;
    this.events = opts.events;
    this.history = opts.history;
    this.authentication = opts.authentication;
  }

  private readonly history: FlowRecorder | undefined;
  private readonly authentication: AuthenticationMethod | undefined;

  private readonly events: SecurityEventSink | undefined;
  /** The audit record of one decision, written before the guard answers. */
  private async record(
    ctx: CallerContext,
    req: GuardRequest,
    decisionId: string,
    revision: string,
    input: Record<string, unknown>,
    d: ReturnType<PolicyDecider['decide']>,
    held = false,
  ): Promise<void> {
    if (!this.events) return;
    const allowed = d.allow === true;
    try {
      await this.events({
        event: allowed ? 'permission_granted' : held ? 'approval_requested' : 'permission_denied',
        user: ctx.principal?.sub ?? null,
        sessionId: ctx.sessionId ?? ctx.principal?.sessionId ?? null,
        ip: ctx.client.ip,
        userAgent: ctx.client.userAgent,
        decisionId,
        revision,
        metadata: {
          method: req.method,
          server: req.server ?? null,
          name: req.name ?? null,
          exposed: req.exposed ?? null,
          transport: ctx.transport,
          ...(ctx.principal && { roles: ctx.principal.roles }),
          ...(this.authentication !== undefined && ctx.principal && decisionCarriesAuthentication(ctx) && {
            verified: { method: this.authentication, ...(ctx.principal.username !== undefined && { username: ctx.principal.username }) },
          }),
          ...(!allowed && { code: d.code, reasons: d.reasons }),
          ...(held && { approval: d.approval }),
          // A list: the names shown (the audit sink keeps the candidates as a digest).
          ...(allowed && req.candidates && { visible: d.visible ?? [] }),
          // What the policy saw, so `hatago policy diff --replay audit.log` can replay it.
          // Claim values are masked here; the audit sink copies it and masks secrets in the rest.
          input: withMaskedClaims(input),
        },
      });
    } catch {
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE', { data: { decisionId } });
    }
  }

  /** `deferDenialReport`: a later stage reports a denial (PolicyDenial.report) after counting it. */
  async check(ctx: CallerContext, req: GuardRequest, opts: GuardCheckOptions = {}): Promise<GuardResult> {
    const engine = this.policy.current();
    const decisionId = randomUUID();
    // Flow rules judge tools/calls: only their decisions read the history (a store outage stops nothing else).
    const input = requestInput(ctx, req, this.history && req.method === 'tools/call' ? await this.history.view(ctx) : undefined);
    const decision = engine.decide(input);
    if (this.onDecision) this.notify(decisionId, engine.revision, input, decision);
    const facts = {
      decisionId,
      revision: engine.revision,
      method: req.method,
      server: req.server,
      name: req.name,
      user: ctx.principal?.sub ?? null,
      ip: ctx.client.ip,
    };
    if (decision.allow !== true && decision.approval && opts.holdForApproval === true) {
      // Held, not denied: the approval stage asks; the limits of an allowed call count meanwhile.
      await this.record(ctx, req, decisionId, engine.revision, input, decision, true);
      this.log.info('request held for approval', { ...facts, rules: decision.approval.rules });
      return { decisionId, revision: engine.revision, output: decision.raw, approval: decision.approval, ...(decision.flowLabels && { flowLabels: decision.flowLabels }) };
    }
    if (decision.allow !== true) {
      // Validation rules are named to the client (it can fix its request); other reasons stay in the log.
      const rules = decision.code === 'ERR_VALIDATION_FAILED' ? { rules: decision.reasons.map((r) => r.rule) } : {};
      const error = new HatagoError(decision.code, { data: { decisionId, ...rules }, detail: decision.reasons.map((r) => r.rule).join(',') });
      const denial = new PolicyDenial(error, { decisionId, revision: engine.revision, output: decision.raw }, async () => {
        this.log.warn('request denied', { ...facts, code: decision.code, reasons: decision.reasons });
        await this.record(ctx, req, decisionId, engine.revision, input, decision);
      });
      if (opts.deferDenialReport !== true) await denial.report();
      throw denial;
    }
    await this.record(ctx, req, decisionId, engine.revision, input, decision);
    this.log.debug('request allowed', facts);
    const result: GuardResult = { decisionId, revision: engine.revision, output: decision.raw };
    if (decision.flowLabels) result.flowLabels = decision.flowLabels;
    if (req.candidates) result.visible = new Set(decision.visible ?? []);
    return result;
  }

  private notify(decisionId: string, revision: string, input: Record<string, unknown>, d: ReturnType<PolicyDecider['decide']>): void {
    const result: DecisionEvent['result'] = { allow: d.allow === true, reasons: d.reasons };
    if (d.allow !== true) result.code = d.code;
    if (d.visible !== undefined) result.visible = d.visible;
    try {
      this.onDecision?.({ decisionId, revision, timestamp: new Date().toISOString(), input, result });
    } catch (err) {
      // Observers never decide: a failing one is logged, the request goes on as the policy said.
      this.log.warn('decision observer failed', { decisionId, error: (err as Error)?.message ?? String(err) });
    }
  }
}

