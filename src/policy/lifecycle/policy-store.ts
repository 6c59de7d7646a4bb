// Bundle lifecycle: the one reference to the active policy. A candidate is
// fully built (read, verify, instantiate, runtime data, smoke decision)
// beside the active engine, which keeps deciding; only then is the reference
// swapped, in one assignment. A candidate that fails leaves the last good
// policy in place and is reported: a log line, `policy_rejected`, a counter.
import { createHash } from 'node:crypto';
import { Counter, Registry } from 'prom-client';
import { isHatagoError, type ErrorCode } from '../../errors/index.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { PolicySource } from '../../pipeline/policy-source.js';
import type { SecurityEvent, SecurityEventSink } from '../../pipeline/security-events.js';
import { readBundle } from '../bundle/read-bundle.js';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../bundle/types.js';
import type { VerificationKeys } from '../bundle/verification-keys.js';
import type { SignatureVerification } from '../bundle/verify-signatures.js';
import { PolicyEngine } from '../engine.js';

/** Bundle bytes and where they came from (`file:/path`, `service:https://...`). */
export interface BundleCandidate {
  bytes: Uint8Array;
  source: string;
}

export type ActivationResult =
  | { result: 'activated'; revision: string; previousRevision: string | null; digest: string }
  | { result: 'unchanged'; revision: string; digest: string }
  | { result: 'rejected'; code: ErrorCode; reason: string; digest: string };

export interface PolicyStoreStatus {
  revision: string;
  activatedAt: string;
  source: string;
  /** SHA-256 of the active bundle's bytes. */
  digest: string;
  signed: boolean;
  /** The most recent rejection (kept after later activations; compare `at` with activatedAt). */
  lastError: { code: ErrorCode; reason: string; source: string; at: string } | null;
  lastResult: ActivationResult['result'] | null;
  counts: { activated: number; rejected: number; unchanged: number };
}

export interface PolicyStoreOptions {
  /** Operator config the policy reads at `data.config` (set on every candidate before the swap). */
  runtimeData?: object;
  /** Signature verification; absent means signatures are not checked. */
  verification?: VerificationKeys;
  logger?: Logger;
  /** Receives `policy_activated` / `policy_rejected`. */
  events?: SecurityEventSink;
  /** Registry for `hatago_policy_reloads_total{result}` (default: a private one). */
  registry?: Registry;
  limits?: Partial<BundleLimits>;
  /** Clock for activatedAt (tests). */
  now?: () => Date;
}

export interface Derivation<T> {
  prepare(engine: PolicyEngine): T;
  apply(value: T): void;
}

interface Active {
  engine: PolicyEngine;
  digest: string;
  source: string;
  activatedAt: Date;
  signed: boolean;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function reasonOf(err: unknown): { code: ErrorCode; reason: string } {
  if (isHatagoError(err)) return { code: err.code, reason: err.detail ?? err.message };
  return { code: 'ERR_INTERNAL', reason: err instanceof Error ? err.message : String(err) };
}

/**
 * Builds a policy from bundle bytes, or throws (ERR_BUNDLE_INVALID,
 * ERR_BUNDLE_SIGNATURE). Nothing is shared with the active policy.
 */
export async function buildPolicy(
  bytes: Uint8Array,
  opts: Pick<PolicyStoreOptions, 'runtimeData' | 'verification' | 'logger' | 'limits'>,
): Promise<{ engine: PolicyEngine; signature: SignatureVerification | null }> {
  const limits = { ...DEFAULT_BUNDLE_LIMITS, ...opts.limits };
  const bundle = readBundle(bytes, limits);
  // jose is loaded only for a bundle whose signatures are checked: an unsigned start does not pay for it.
  const signature = opts.verification ? await (await import('../bundle/verify-signatures.js')).verifyBundleSignatures(bundle.files, opts.verification) : null;
  const engine = await PolicyEngine.fromBundle(bundle, {
    runtimeData: opts.runtimeData ?? {},
    logger: opts.logger ?? silentLogger,
    limits,
  });
  return { engine, signature };
}

export class PolicyStore implements PolicySource {
  private active: Active;
  private queue: Promise<unknown> = Promise.resolve();
  private lastError: PolicyStoreStatus['lastError'] = null;
  private lastResult: PolicyStoreStatus['lastResult'] = null;
  private readonly counts = { activated: 0, rejected: 0, unchanged: 0 };
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly reloads: Counter<'result'>;
  private readonly listeners = new Set<(engine: PolicyEngine) => void>();
  private readonly derivations = new Set<Derivation<unknown>>();

  private constructor(
    private readonly opts: PolicyStoreOptions,
    first: Active,
  ) {
    this.active = first;
    this.log = (opts.logger ?? silentLogger).child({ component: 'policy' });
    this.now = opts.now ?? (() => new Date());
    const registry = opts.registry ?? new Registry();
    const existing = registry.getSingleMetric('hatago_policy_reloads_total');
    this.reloads =
      (existing as Counter<'result'> | undefined) ??
      new Counter({
        name: 'hatago_policy_reloads_total',
        help: 'Policy bundle activations by result: activated, rejected, unchanged',
        labelNames: ['result'] as const,
        registers: [registry],
      });
  }

  /**
   * The start-up policy: the first candidate must load, or this throws its
   * error (the hub does not start without a policy).
   */
  static async create(initial: BundleCandidate, opts: PolicyStoreOptions = {}): Promise<PolicyStore> {
    const { engine, signature } = await buildPolicy(initial.bytes, opts);
    const now = (opts.now ?? (() => new Date()))();
    const store = new PolicyStore(opts, { engine, digest: sha256(initial.bytes), source: initial.source, activatedAt: now, signed: signature?.signed === true });
    store.log.info('policy activated', { revision: engine.revision, source: initial.source, signed: signature?.signed === true });
    return store;
  }

  /** The active policy. A request reads it once and keeps it to the end. */
  current(): PolicyEngine {
    return this.active.engine;
  }

  get revision(): string {
    return this.active.engine.revision;
  }

  /** SHA-256 of the active bundle. */
  get digest(): string {
    return this.active.digest;
  }

  /**
   * Builds the candidate and swaps it in, or rejects it and keeps the active
   * policy. Activations run one at a time, in call order. Never throws.
   */
  activate(candidate: BundleCandidate): Promise<ActivationResult> {
    const run = this.queue.then(() => this.activateNow(candidate));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async activateNow(candidate: BundleCandidate): Promise<ActivationResult> {
    const digest = sha256(candidate.bytes);
    if (digest === this.active.digest) {
      this.counts.unchanged++;
      this.lastResult = 'unchanged';
      this.reloads.inc({ result: 'unchanged' });
      this.log.debug('policy bundle unchanged', { source: candidate.source, revision: this.revision });
      return { result: 'unchanged', revision: this.revision, digest };
    }
    const started = performance.now();
    let built: Awaited<ReturnType<typeof buildPolicy>>;
    // Everything derived from the bundle is derived before the swap: the
    // bundle is activated with all of it, or not at all (as OPA activates).
    const derived: [Derivation<unknown>, unknown][] = [];
    try {
      built = await buildPolicy(candidate.bytes, this.opts);
      for (const d of this.derivations) derived.push([d, d.prepare(built.engine)]);
    } catch (err) {
      const { code, reason } = reasonOf(err);
      this.counts.rejected++;
      this.lastResult = 'rejected';
      this.reloads.inc({ result: 'rejected' });
      this.lastError = { code, reason, source: candidate.source, at: this.now().toISOString() };
      this.log.error('policy bundle rejected; the active policy stays', { code, reason, source: candidate.source, revision: this.revision });
      this.emit({
        event: 'policy_rejected',
        level: 'error',
        revision: this.revision,
        metadata: { code, reason, source: candidate.source, digest, activeRevision: this.revision },
      });
      return { result: 'rejected', code, reason, digest };
    }

    const previous = this.active;
    const next: Active = {
      engine: built.engine,
      digest,
      source: candidate.source,
      activatedAt: this.now(),
      signed: built.signature?.signed === true,
    };
    this.active = next; // the swap: requests that already hold `previous` finish on it
    for (const [d, value] of derived) {
      try {
        d.apply(value);
      } catch (err) {
        this.log.error('applying what a policy derived failed', { revision: next.engine.revision, reason: reasonOf(err).reason });
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(next.engine);
      } catch (err) {
        this.log.error('policy activation listener failed', { revision: next.engine.revision, reason: reasonOf(err).reason });
      }
    }
    this.counts.activated++;
    this.lastResult = 'activated';
    this.reloads.inc({ result: 'activated' });
    const ms = Math.round((performance.now() - started) * 10) / 10;
    this.log.info('policy activated', { revision: next.engine.revision, previousRevision: previous.engine.revision, source: candidate.source, signed: next.signed, loadMs: ms });
    this.emit({
      event: 'policy_activated',
      level: 'info',
      revision: next.engine.revision,
      metadata: {
        previousRevision: previous.engine.revision,
        revision: next.engine.revision,
        source: candidate.source,
        digest,
        signed: next.signed,
        ...(built.signature?.keyId !== undefined && { keyId: built.signature.keyId }),
      },
    });
    return { result: 'activated', revision: next.engine.revision, previousRevision: previous.engine.revision, digest };
  }

  /**
   * State derived from the policy once (e.g. the circuit-breaker table):
   * `prepare` runs on every candidate before it is activated, and a throw
   * rejects the candidate (the active policy and its derived state stay);
   * `apply` installs the prepared value right after the swap. Not called
   * for the policy already active.
   */
  derive<T>(d: Derivation<T>): () => void {
    this.derivations.add(d as Derivation<unknown>);
    return () => this.derivations.delete(d as Derivation<unknown>);
  }

  /** Runs after every activation, with the new engine (observers: caches to drop). */
  onActivated(listener: (engine: PolicyEngine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SecurityEvent): void {
    const sink = this.opts.events;
    if (!sink) return;
    try {
      sink(event).catch((err: unknown) => this.log.error('security event not recorded', { event: event.event, reason: reasonOf(err).reason }));
    } catch (err) {
      this.log.error('security event not recorded', { event: event.event, reason: reasonOf(err).reason });
    }
  }

  status(): PolicyStoreStatus {
    return {
      revision: this.active.engine.revision,
      activatedAt: this.active.activatedAt.toISOString(),
      source: this.active.source,
      digest: this.active.digest,
      signed: this.active.signed,
      lastError: this.lastError,
      lastResult: this.lastResult,
      counts: { ...this.counts },
    };
  }
}

