// The bundles the Explorer and the replay diff evaluate beside the active
// policy: the shadow bundle (policies.shadow), and the *.tar.gz files of
// console.candidates. A browser names a candidate by its id ("shadow" or a
// file name in that folder), never by a path. Each is loaded with the same
// PolicyEngine and data.config as `hatago policy eval`, and kept until its
// file changes (at most MAX_CACHED at once).
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { HatagoError } from '../errors/index.js';
import { readBundle } from '../policy/bundle/read-bundle.js';
import { DEFAULT_BUNDLE_LIMITS } from '../policy/bundle/types.js';
import { PolicyEngine } from '../policy/engine.js';
import type { ShadowPolicy } from '../policy/shadow/index.js';
import { ruleIndex, type RuleIndex } from './rule-sources.js';

export interface Candidate {
  id: string;
  engine: PolicyEngine;
  rules: RuleIndex;
}

export interface CandidateInfo {
  id: string;
  kind: 'shadow' | 'file';
  revision?: string;
}

const MAX_CACHED = 8;
const MAX_LISTED = 100;
const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.tar\.gz$/;

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A bundle's engine and rule index from its bytes. Throws ERR_CONSOLE_CANDIDATE_INVALID with the reason. */
async function load(id: string, bytes: Uint8Array, runtimeData: object): Promise<Candidate> {
  try {
    const files = readBundle(bytes, DEFAULT_BUNDLE_LIMITS);
    const engine = await PolicyEngine.fromBundle(files, { runtimeData });
    return { id, engine, rules: ruleIndex(files.files) };
  } catch (err) {
    const reason = err instanceof HatagoError ? (err.detail ?? err.message) : err instanceof Error ? err.message : String(err);
    throw new HatagoError('ERR_CONSOLE_CANDIDATE_INVALID', { data: { candidate: id, reason: reason.slice(0, 300) } });
  }
}

export class CandidateBundles {
  private readonly cache = new Map<string, { stamp: string; candidate: Candidate }>();
  private shadowRules: RuleIndex | undefined;

  constructor(private readonly opts: { dir: string | undefined; shadow: ShadowPolicy | undefined; runtimeData: object }) {}

  async list(): Promise<CandidateInfo[]> {
    const out: CandidateInfo[] = [];
    if (this.opts.shadow) out.push({ id: 'shadow', kind: 'shadow', revision: this.opts.shadow.engine.revision });
    if (this.opts.dir !== undefined) {
      const names = (await readdir(this.opts.dir).catch(() => [] as string[])).filter((n) => FILE_ID.test(n)).sort().slice(0, MAX_LISTED);
      for (const id of names) {
        const cached = this.cache.get(id);
        out.push({ id, kind: 'file', ...(cached && { revision: cached.candidate.engine.revision }) });
      }
    }
    return out;
  }

  /** Throws ERR_CONSOLE_NOT_FOUND for an id that names no candidate, ERR_CONSOLE_CANDIDATE_INVALID for one that does not load. */
  async get(id: unknown): Promise<Candidate> {
    if (id === 'shadow' && this.opts.shadow) {
      this.shadowRules ??= await this.shadowIndex();
      return { id, engine: this.opts.shadow.engine, rules: this.shadowRules };
    }
    if (typeof id !== 'string' || !FILE_ID.test(id) || this.opts.dir === undefined) throw notFound(id);
    const file = path.join(this.opts.dir, id);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) throw notFound(id);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const cached = this.cache.get(id);
    if (cached?.stamp === stamp) return cached.candidate;
    if (st.size > DEFAULT_BUNDLE_LIMITS.maxCompressedBytes) throw new HatagoError('ERR_CONSOLE_CANDIDATE_INVALID', { data: { candidate: id, reason: `bundle is ${st.size} bytes, over the ${DEFAULT_BUNDLE_LIMITS.maxCompressedBytes} byte limit` } });
    const candidate = await load(id, await readFile(file), this.opts.runtimeData);
    this.cache.delete(id);
    this.cache.set(id, { stamp, candidate });
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return candidate;
  }

  private async shadowIndex(): Promise<RuleIndex> {
    try {
      return ruleIndex(readBundle(await readFile(this.opts.shadow!.bundle), DEFAULT_BUNDLE_LIMITS).files);
    } catch {
      return new Map();
    }
  }
}

function notFound(id: unknown): HatagoError {
  return new HatagoError('ERR_CONSOLE_NOT_FOUND', { message: 'Not found: no such candidate bundle', data: { candidate: typeof id === 'string' ? id.slice(0, 200) : null } });
}

/**
 * The active bundle's rule index: its sources, read from the bundle file
 * when that file is what is active (same digest); null when the policy came
 * from a bundle service or the file changed since (the console then shows
 * the reasons without places).
 */
export class ActiveRules {
  private cached: { digest: string; rules: RuleIndex | null } | undefined;

  constructor(private readonly status: () => { source: string; digest: string }) {}

  async get(): Promise<RuleIndex | null> {
    const { source, digest } = this.status();
    if (this.cached?.digest === digest) return this.cached.rules;
    let rules: RuleIndex | null = null;
    if (source.startsWith('file:')) {
      const bytes = await readFile(source.slice('file:'.length)).catch(() => undefined);
      if (bytes && sha256(bytes) === digest) {
        try {
          rules = ruleIndex(readBundle(bytes, DEFAULT_BUNDLE_LIMITS).files);
        } catch {
          rules = null;
        }
      }
    }
    this.cached = { digest, rules };
    return rules;
  }
}
