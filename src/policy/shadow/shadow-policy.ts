// Shadow mode: a candidate bundle evaluated beside the active one on live
// traffic, never enforced. Each request decision is re-run on the candidate
// after the guard answered (setImmediate), and every difference is logged
// and counted. A candidate that throws or fails closed is just a result.
import { Counter, Registry } from 'prom-client';
import type { DecisionEvent } from '../../pipeline/policy/policy-guard.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { PolicyEngine } from '../engine.js';
import type { PolicyDecision } from '../types.js';
import { differingFields, summarize } from './compare.js';

export const SHADOW_MISMATCH_METRIC = 'hatago_policy_shadow_mismatches_total';

export interface ShadowPolicyOptions {
  /** Operator config for `data.config`, built as for the active bundle. */
  runtimeData: object;
  logger?: Logger;
  /** Registry the mismatch counter registers in (default: a private one). */
  registry?: Registry;
}

/** Told the candidate's answer to each compared decision (the security console shows it beside the active one). */
export type ShadowListener = (decisionId: string, candidate: PolicyDecision, revision: string) => void;

export interface ShadowStatus {
  bundle: string;
  revision: string;
  evaluated: number;
  mismatches: number;
}

export class ShadowPolicy {
  readonly mismatchCounter: Counter;
  private evaluated = 0;
  private mismatches = 0;
  private readonly log: Logger;
  private readonly listeners = new Set<ShadowListener>();

  private constructor(
    readonly bundle: string,
    readonly engine: PolicyEngine,
    opts: ShadowPolicyOptions,
  ) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'policy-shadow' });
    this.mismatchCounter = new Counter({
      name: SHADOW_MISMATCH_METRIC,
      help: 'Request decisions where the shadow (candidate) policy differs from the active one',
      registers: [opts.registry ?? new Registry()],
    });
  }

  /** Loads the candidate bundle. Throws ERR_BUNDLE_NOT_FOUND / ERR_BUNDLE_INVALID, as for the active one. */
  static async load(bundle: string, opts: ShadowPolicyOptions): Promise<ShadowPolicy> {
    const engine = await PolicyEngine.load(bundle, { runtimeData: opts.runtimeData, ...(opts.logger && { logger: opts.logger.child({ component: 'policy-shadow' }) }) });
    return new ShadowPolicy(bundle, engine, opts);
  }

  /** The onDecision hook: schedules the candidate's evaluation and returns at once. */
  readonly observe = (event: DecisionEvent): void => {
    setImmediate(() => this.compare(event));
  };

  /** Evaluates the candidate on one recorded decision now (the hook defers to this). */
  compare(event: DecisionEvent): void {
    const candidate = this.engine.decide(event.input);
    this.evaluated++;
    for (const l of this.listeners) {
      try {
        l(event.decisionId, candidate, this.engine.revision);
      } catch (err) {
        this.log.warn('shadow listener failed', { error: String(err) });
      }
    }
    const differs = differingFields(event.result, candidate);
    if (differs.length === 0) return;
    this.mismatches++;
    this.mismatchCounter.inc();
    const request = (event.input.request ?? {}) as Record<string, unknown>;
    this.log.warn('shadow policy decision differs', {
      decisionId: event.decisionId,
      differs,
      method: request.method,
      server: request.server,
      name: request.name,
      active: { revision: event.revision, ...summarize(event.result) },
      candidate: { revision: this.engine.revision, ...summarize(candidate) },
    });
  }

  /** Adds a listener; returns its removal. */
  onCompared(l: ShadowListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  status(): ShadowStatus {
    return { bundle: this.bundle, revision: this.engine.revision, evaluated: this.evaluated, mismatches: this.mismatches };
  }
}
