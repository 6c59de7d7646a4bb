// Bundle lifecycle, first step: instantiate a parsed bundle and evaluate
// `hatago/decision` once per decision point. Knows nothing about HTTP.
import { readFile, stat } from 'node:fs/promises';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { instantiatePolicyWasm } from './wasm-modules.js';
import { HatagoError } from '../errors/index.js';
import { readBundle } from './bundle/read-bundle.js';
import { DEFAULT_BUNDLE_LIMITS, type BundleFiles, type BundleLimits, type BundleManifest } from './bundle/types.js';
import { failClosed, readDecision } from './decision.js';
import { InputEncoder } from './input-encoder.js';
import { ResidentCandidates } from './resident-candidates.js';
import { noopLogger, type PolicyLogger } from './logger.js';
import type { PolicyDecision } from './types.js';
import { ACCEPTED_CONTRACTS, CONTRACT_VERSION, fromContract1, negotiateContract, toContract1 } from './contract.js';

/** The one entrypoint of the policy contract. */
export const DECISION_ENTRYPOINT = 'hatago/decision';
export { CONTRACT_VERSION };

export interface PolicyEngineOptions {
  /** Operator config the policy reads at `data.config`. */
  runtimeData?: object;
  logger?: PolicyLogger;
  limits?: Partial<BundleLimits>;
}

/** A minimal input: the bundle must answer it with a decision object at load. */
const SMOKE_INPUT = {
  contract: CONTRACT_VERSION,
  stage: 'network',
  now_ns: 0,
  transport: 'http',
  client: { ip: '127.0.0.1', socket_ip: '127.0.0.1', forwarded_for: [], origin: null, user_agent: null },
};

function invalid(reason: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_BUNDLE_INVALID', { detail: reason, data: { reason }, cause });
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err; // opa-wasm throws plain strings
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** The contract version the bundle is spoken to in (see negotiateContract). */
function checkContract(data: Record<string, unknown>): number {
  const hatago = data.hatago;
  const declared = typeof hatago === 'object' && hatago !== null && 'contract' in hatago ? (hatago as { contract: unknown }).contract : undefined;
  const version = negotiateContract(declared);
  if (version === undefined) {
    throw invalid(`bundle declares policy contract ${JSON.stringify(declared)}, this runtime speaks ${ACCEPTED_CONTRACTS.join(' and ')}`);
  }
  return version;
}

/** Descriptions whose scan is kept (a catalogue's worth); past it the memo starts over. */
const MAX_SCANS = 4096;

function isPlainInput(v: object | string | Uint8Array): v is Record<string, unknown> {
  return typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v);
}

export class PolicyEngine {
  readonly revision: string;
  readonly activatedAt: Date;
  readonly entrypoints: string[];
  readonly manifest: BundleManifest;
  /** The contract version this bundle is spoken to in (docs/policy-contract.md, "Versions"). */
  readonly contract: number;

  private readonly encoder = new InputEncoder();
  /**
   * The policy's own answer to stage "pinning_scan" per description (the instruction patterns it
   * matches), asked once and handed back as input.definition.instruction_hits: opa-wasm compiles a
   * regex anew on every evaluation. Cleared with the data; false once the bundle does not answer it.
   */
  private scans: Map<string, string[]> | false = new Map();
  /** A list's candidates parsed into wasm memory once (null: this opa-wasm does not allow it). */
  private readonly resident: ResidentCandidates | null;

  private constructor(
    private readonly policy: LoadedPolicy,
    private readonly entrypointId: number,
    private readonly bundleData: Record<string, unknown>,
    private readonly logger: PolicyLogger,
    manifest: BundleManifest,
    contract: number,
  ) {
    this.manifest = manifest;
    this.contract = contract;
    this.revision = manifest.revision;
    this.entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
    this.activatedAt = new Date();
    this.resident = ResidentCandidates.of(policy);
  }

  /** Loads a bundle file. Throws ERR_BUNDLE_NOT_FOUND or ERR_BUNDLE_INVALID. */
  static async load(path: string, opts: PolicyEngineOptions = {}): Promise<PolicyEngine> {
    const limits = { ...DEFAULT_BUNDLE_LIMITS, ...opts.limits };
    let buf: Buffer;
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw invalid(`${path} is a directory, not a bundle file`);
      if (st.size > limits.maxCompressedBytes) throw invalid(`bundle is ${st.size} bytes, over the ${limits.maxCompressedBytes} byte limit`);
      buf = await readFile(path);
    } catch (err) {
      if (err instanceof HatagoError) throw err;
      throw new HatagoError('ERR_BUNDLE_NOT_FOUND', { detail: `cannot read policy bundle ${path}: ${errorText(err)}`, data: { path }, cause: err });
    }
    return PolicyEngine.fromBuffer(buf, { ...opts, limits });
  }

  /** Instantiates a bundle held in memory. Throws ERR_BUNDLE_INVALID. */
  static async fromBuffer(buf: Uint8Array, opts: PolicyEngineOptions = {}): Promise<PolicyEngine> {
    return PolicyEngine.fromBundle(readBundle(buf, { ...DEFAULT_BUNDLE_LIMITS, ...opts.limits }), opts);
  }

  /**
   * Instantiates a bundle already taken apart by readBundle (and, for hot
   * reload, verified in between). Throws ERR_BUNDLE_INVALID.
   */
  static async fromBundle(bundle: BundleFiles, opts: PolicyEngineOptions = {}): Promise<PolicyEngine> {
    const contract = checkContract(bundle.data);

    let policy: LoadedPolicy;
    try {
      policy = await instantiatePolicyWasm(bundle.wasm);
    } catch (err) {
      throw invalid(`policy.wasm does not instantiate: ${errorText(err)}`, err);
    }
    const ids = policy.entrypoints as Record<string, number>;
    const id = Object.hasOwn(ids, DECISION_ENTRYPOINT) ? ids[DECISION_ENTRYPOINT] : undefined;
    if (typeof id !== 'number') {
      throw invalid(`bundle has no ${DECISION_ENTRYPOINT} entrypoint (has: ${Object.keys(ids).join(', ') || 'none'})`);
    }

    const engine = new PolicyEngine(policy, id, bundle.data, opts.logger ?? noopLogger, bundle.manifest, contract);
    engine.setRuntimeData(opts.runtimeData ?? {});
    engine.smokeTest();
    return engine;
  }

  /**
   * Replaces the operator config the policy sees at `data.config` (the
   * bundle's own data.json stays). One setData call: it rebuilds the data
   * document in wasm memory, so do it on config change, not per request.
   */
  setRuntimeData(data: object): void {
    if (Object.hasOwn(this.bundleData, 'config')) {
      this.logger.warn('policy bundle data.json has a "config" key; runtime config replaces it', { revision: this.revision });
    }
    this.resident?.invalidate(); // setData parses the data where resident lists were
    if (this.scans) this.scans = new Map(); // the patterns are data: scanned again under the new data
    this.policy.setData({ ...this.bundleData, config: data });
    // What the policy derives from data alone (stage "compile", e.g. parsed
    // role grants) is asked once here and handed back as data.compiled, so
    // requests do not recompute it. A policy without that stage skips this.
    const compiled = (this.decide({ contract: CONTRACT_VERSION, stage: 'compile' }).raw as { compiled?: unknown } | undefined)?.compiled;
    if (compiled !== null && typeof compiled === 'object' && !Array.isArray(compiled)) {
      this.resident?.invalidate();
      this.policy.setData({ ...this.bundleData, config: data, compiled });
    }
  }

  /**
   * Evaluates `hatago/decision` for one input (an object, or its JSON as a
   * string or bytes). Synchronous and never throws: anything other than a
   * well-formed decision is a deny with code ERR_POLICY_EVALUATION.
   */
  decide(input: object | string | Uint8Array): PolicyDecision {
    const { decision, failure } = this.evaluate(input);
    if (failure !== undefined) {
      this.logger.error('policy evaluation failed; denying (fail closed)', { reason: failure, revision: this.revision });
    }
    return decision;
  }

  private evaluate(input: object | string | Uint8Array): { decision: PolicyDecision; failure?: string } {
    const old = this.contract === 1;
    const spoken = old && isPlainInput(input) ? toContract1(input) : old ? input : this.withInstructionHits(input);
    let resultSet: unknown;
    try {
      resultSet = this.evaluateResident(spoken) ?? this.policy.evaluate(this.encoder.encode(spoken), this.entrypointId);
    } catch (err) {
      const message = `evaluation error: ${errorText(err)}`;
      return { decision: failClosed(message), failure: message };
    }
    return readDecision(resultSet, old ? fromContract1 : undefined);
  }

  /**
   * A frozen candidates list (the hub's catalogue) linked in from wasm memory
   * instead of parsed again; undefined when the input has none, or the
   * resident path cannot answer (then the whole input is evaluated).
   */
  private evaluateResident(input: object | string | Uint8Array): unknown {
    if (!this.resident) return undefined;
    const parts = this.encoder.split(input);
    if (!parts) return undefined;
    try {
      return this.resident.evaluate(parts.rest, parts.list, parts.json, this.entrypointId);
    } catch {
      this.resident.invalidate();
      return undefined;
    }
  }

  /**
   * A request for an unapproved definition (tools/call, prompts/get) with the policy's scan of its
   * description added (input.definition.instruction_hits), from the memo or asked now; the input as
   * it was otherwise. The caller's input object is not changed (the audit trail records it as given).
   */
  private withInstructionHits(input: object | string | Uint8Array): object | string | Uint8Array {
    if (!this.scans || !isPlainInput(input) || input.stage !== 'request') return input;
    const d = input.definition as Record<string, unknown> | undefined;
    if (typeof d !== 'object' || d === null || d.status === 'pinned' || typeof d.description !== 'string' || 'instruction_hits' in d) return input;
    let hits = this.scans.get(d.description);
    if (hits === undefined) {
      const raw = this.evaluate({ contract: CONTRACT_VERSION, stage: 'pinning_scan', description: d.description }).decision.raw as { instruction_hits?: unknown } | undefined;
      const answer = raw?.instruction_hits;
      if (!Array.isArray(answer) || !answer.every((h) => typeof h === 'string')) {
        this.scans = false; // a bundle without the stage scans in the request, as before
        return input;
      }
      if (this.scans.size >= MAX_SCANS) this.scans.clear();
      this.scans.set(d.description, (hits = answer));
    }
    return { ...input, definition: { ...d, instruction_hits: hits } };
  }

  /** A bundle that cannot answer a minimal input is rejected before it serves a request. */
  private smokeTest(): void {
    const { failure } = this.evaluate(SMOKE_INPUT);
    if (failure !== undefined) throw invalid(`smoke decision failed: ${failure}`);
  }
}
