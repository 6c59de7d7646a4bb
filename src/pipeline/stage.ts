// One shape for every stage of the request lifecycle, and the one runner
// that runs them. A request's path is a list of stages run in order; the
// first that fails ends it. Stages after the failing one may look at the
// failure (`afterFailure`), as Fastify's onError hooks do, but never undo it:
// the rate-limit stage counts denials there, and may only answer 429 instead.

import { HatagoError, type ErrorCode } from '../errors/index.js';
import type { LogWriter } from '../log/logger.js';
import { assertLifecycleOrder } from './lifecycle.js';

export type StageScope = 'http' | 'mcp';

/** What a stage is, as docs/lifecycle.md shows it. */
export interface StageSpec {
  readonly name: string;
  /** http: once per HTTP request; mcp: once per JSON-RPC request (HTTP and stdio alike). */
  readonly scope: StageScope;
  /** What the stage does, in one line. */
  readonly does: string;
  /** Every code the stage can end a request with (docs/errors.md). */
  readonly fails: readonly ErrorCode[];
}

export interface Stage<C> extends StageSpec {
  run(ctx: C): void | Promise<void>;
  /** Called when an earlier stage failed; may throw another error to answer instead. */
  afterFailure?(ctx: C, error: unknown): void | Promise<void>;
}

/** Told about every stage run (metrics and traces hook in here, once). */
export type StageObserver<C> = (stage: StageSpec, ctx: C, outcome: { durationMs: number; error?: unknown }) => void;

/** Told when a stage starts (traces open its span here). */
export type StageStartObserver<C> = (stage: StageSpec, ctx: C) => void;

/** A failure tagged with the stage that raised it. */
export function failedStage(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { stage?: string }).stage : undefined;
}

export class StageRunner<C> {
  private readonly observers: StageObserver<C>[] = [];
  private readonly starters: StageStartObserver<C>[] = [];
  /** HATAGO_STAGE_CHECK=strict, read once: an undeclared code is answered as ERR_INTERNAL (test runs). */
  private readonly strict = process.env.HATAGO_STAGE_CHECK === 'strict';

  /** `lifecycle`: the table the stages must follow (default LIFECYCLE; the token endpoints have their own). */
  constructor(
    readonly stages: readonly Stage<C>[],
    private readonly logger?: LogWriter,
    lifecycle?: readonly StageSpec[],
  ) {
    assertLifecycleOrder(stages, lifecycle);
  }

  /** Adds an observer; returns the function that removes it. */
  observe(fn: StageObserver<C>): () => void {
    this.observers.push(fn);
    return () => {
      const i = this.observers.indexOf(fn);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /** Adds an observer of stage starts; returns the function that removes it. */
  onStart(fn: StageStartObserver<C>): () => void {
    this.starters.push(fn);
    return () => {
      const i = this.starters.indexOf(fn);
      if (i >= 0) this.starters.splice(i, 1);
    };
  }

  /** Runs every stage in order; throws the first failure (tagged with its stage). */
  async run(ctx: C): Promise<void> {
    for (let i = 0; i < this.stages.length; i++) {
      const stage = this.stages[i]!;
      for (const fn of this.starters) {
        try {
          fn(stage, ctx);
        } catch (err) {
          this.observerFailed(stage, err);
        }
      }
      const started = performance.now();
      try {
        await stage.run(ctx);
        this.tell(stage, ctx, started);
      } catch (err) {
        this.tell(stage, ctx, started, err);
        throw this.checked(await this.fail(i, ctx, this.tag(stage, err)));
      }
    }
  }

  /** The stages after the failing one see the failure; one of them may replace it. */
  private async fail(index: number, ctx: C, error: unknown): Promise<unknown> {
    for (let j = index + 1; j < this.stages.length; j++) {
      const stage = this.stages[j]!;
      if (!stage.afterFailure) continue;
      const started = performance.now();
      try {
        await stage.afterFailure(ctx, error);
      } catch (replaced) {
        // The stage answered instead (a spent denial budget's 429): observers see it as that stage's failure.
        this.tell(stage, ctx, started, replaced);
        return this.tag(stage, replaced);
      }
    }
    return error;
  }

  private tag(stage: Stage<C>, err: unknown): unknown {
    if (err instanceof HatagoError) {
      // A code the lifecycle table does not name: the table is wrong (logged; see `checked`).
      if (!stage.fails.includes(err.code)) this.logger?.error('stage failed with an undeclared code', { component: 'pipeline', stage: stage.name, code: err.code });
      if (failedStage(err) === undefined) Object.defineProperty(err, 'stage', { value: stage.name, enumerable: false });
    }
    return err;
  }

  /**
   * The failure that ends the request, after every later stage saw the
   * original (so a denial is still counted and recorded). In strict runs an
   * undeclared code becomes ERR_INTERNAL here, so a test sees the drift.
   */
  private checked(err: unknown): unknown {
    if (!this.strict || !(err instanceof HatagoError)) return err;
    const stage = this.stages.find((s) => s.name === failedStage(err));
    if (!stage || stage.fails.includes(err.code)) return err;
    const internal = new HatagoError('ERR_INTERNAL', { detail: `stage ${stage.name} failed with undeclared ${err.code}` });
    Object.defineProperty(internal, 'stage', { value: stage.name, enumerable: false });
    return internal;
  }

  private tell(stage: Stage<C>, ctx: C, started: number, error?: unknown): void {
    if (this.observers.length === 0) return;
    const outcome: { durationMs: number; error?: unknown } = error !== undefined ? { durationMs: performance.now() - started, error } : { durationMs: performance.now() - started };
    // No closure per observer and stage: this runs a dozen times per request.
    for (const fn of this.observers) {
      try {
        fn(stage, ctx, outcome);
      } catch (err) {
        this.observerFailed(stage, err);
      }
    }
  }

  /** Observers never decide: a failing one is logged, the request goes on. */
  private observerFailed(stage: StageSpec, err: unknown): void {
    this.logger?.warn('stage observer failed', { component: 'pipeline', stage: stage.name, error: String(err) });
  }
}
