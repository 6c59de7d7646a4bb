import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { instantiatePolicyWasm } from '../policy/wasm-modules.js';
import type { RateLimitConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import { readBundle } from '../policy/bundle/read-bundle.js';
import type { RateLimit } from './types.js';

/** The rule that returns the limits of a request (Rego data.hatago.ratelimit.limits). */
export const LIMITS_ENTRYPOINT = 'hatago/ratelimit/limits';

/**
 * Where the limits of a request come from: always a Rego evaluation. The
 * runtime never picks limits itself.
 */
export interface LimitsPolicy {
  /** Replaces what the policy reads at data.config.rateLimit (call on change, not per request). */
  setConfig(rateLimit: RateLimitConfig): void;
  /** The limits for one request-stage input (docs/policy-contract.md). Throws ERR_POLICY_EVALUATION. */
  limits(input: object): RateLimit[];
}

/**
 * Checks the policy's output: a list of {name, key, windowMs, max} with
 * non-empty strings, windowMs > 0 and max >= 0. Anything else throws
 * ERR_POLICY_EVALUATION (fail closed: the request is refused).
 */
export function readLimits(value: unknown): RateLimit[] {
  if (!Array.isArray(value)) throw malformed(`limits is ${describe(value)}, not an array`);
  return value.map((v, i) => {
    const l = v as Record<string, unknown> | null;
    if (
      !l ||
      typeof l !== 'object' ||
      typeof l.name !== 'string' ||
      l.name === '' ||
      typeof l.key !== 'string' ||
      l.key === '' ||
      typeof l.windowMs !== 'number' ||
      !(l.windowMs > 0) ||
      typeof l.max !== 'number' ||
      !(l.max >= 0)
    ) {
      throw malformed(`limits[${i}] is not {name, key, windowMs > 0, max >= 0}: ${JSON.stringify(v)?.slice(0, 200)}`);
    }
    return { name: l.name, key: l.key, windowMs: l.windowMs, max: l.max };
  });
}

function malformed(detail: string): HatagoError {
  return new HatagoError('ERR_POLICY_EVALUATION', { detail: `rate-limit policy: ${detail}` });
}

function describe(v: unknown): string {
  return v === undefined ? 'undefined' : v === null ? 'null' : typeof v;
}

/**
 * A LimitsPolicy over a wasm bundle built with the entrypoint
 * `hatago/ratelimit/limits` (`node scripts/build-policy.mjs --entrypoint
 * hatago/ratelimit/limits --out F`). The hub's main bundle answers the same
 * question through hatago/decision once the decision includes the limits;
 * this class is for RateLimiter used on its own, and for tests.
 */
export class WasmLimitsPolicy implements LimitsPolicy {
  private constructor(
    private readonly policy: LoadedPolicy,
    private readonly entrypoint: number,
    private readonly bundleData: Record<string, unknown>,
  ) {}

  static async fromBundle(buf: Uint8Array, entrypoint: string = LIMITS_ENTRYPOINT): Promise<WasmLimitsPolicy> {
    const bundle = readBundle(buf);
    let policy: LoadedPolicy;
    try {
      policy = await instantiatePolicyWasm(bundle.wasm);
    } catch (err) {
      throw new HatagoError('ERR_BUNDLE_INVALID', { detail: `policy.wasm does not instantiate: ${String(err)}`, cause: err });
    }
    const ids = policy.entrypoints as Record<string, number>;
    const id = Object.hasOwn(ids, entrypoint) ? ids[entrypoint] : undefined;
    if (typeof id !== 'number') {
      throw new HatagoError('ERR_BUNDLE_INVALID', { detail: `bundle has no ${entrypoint} entrypoint (has: ${Object.keys(ids).join(', ') || 'none'})` });
    }
    const p = new WasmLimitsPolicy(policy, id, bundle.data);
    p.setConfig({});
    return p;
  }

  setConfig(rateLimit: RateLimitConfig): void {
    this.policy.setData({ ...this.bundleData, config: { rateLimit } });
  }

  limits(input: object): RateLimit[] {
    let rs: unknown;
    try {
      rs = this.policy.evaluate(input, this.entrypoint);
    } catch (err) {
      throw malformed(`evaluation error: ${String(err)}`);
    }
    const first = Array.isArray(rs) ? (rs[0] as { result?: unknown } | undefined) : undefined;
    return readLimits(first?.result);
  }
}
