// The console's recent decisions: a bounded ring in memory, filled by the
// guard's onDecision hook. The hook only queues (O(1), never throws); the
// masking (the decision log's sanitizer, claims masked) happens after the
// request, in a batch, so the request path pays nothing more. Listeners (the
// live streams) hear each record once it is masked, and the shadow policy's
// answer when it comes.
import type { DecisionEvent } from '../pipeline/policy/policy-guard.js';
import { decisionJson } from '../policy/decision-json.js';
import { maskDecisionInput, type Sanitizer } from '../policy/decision-log/mask.js';
import type { ReplayEntry } from '../policy/decision-log/record.js';
import { differingFields, type DecisionField } from '../policy/shadow/compare.js';
import type { PolicyDecision } from '../policy/types.js';

export interface ShadowAnswer {
  revision: string;
  decision: Record<string, unknown>;
  /** What differs from the enforced decision (allow, code, visible), as shadow mode counts it. */
  differs: DecisionField[];
}

/** One decision as the console lists it (no input). */
export interface DecisionSummary {
  id: string;
  time: string;
  revision: string;
  allow: boolean;
  code?: string;
  rules: string[];
  method: string | null;
  server: string | null;
  name: string | null;
  user: string | null;
  shadow?: ShadowAnswer;
}

export interface DecisionDetail extends DecisionSummary {
  result: DecisionEvent['result'];
  /** The policy input, masked; null when it was larger than maxInputBytes. */
  input: Record<string, unknown> | null;
  inputBytes: number;
}

export interface DecisionFilter {
  user?: string;
  server?: string;
  tool?: string;
  rule?: string;
  outcome?: 'allow' | 'deny';
}

export type FeedListener = (event: 'decision' | 'shadow', data: DecisionSummary) => void;

export interface DecisionFeedOptions {
  max: number;
  maxInputBytes: number;
  sanitize: Sanitizer;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The console's own reads, and listings of held calls (the Approvals view
 * asks on every change), are audited; listed they would drown the decisions
 * that matter. Their denials are kept, and so is every verdict.
 */
function ownRead(e: DecisionEvent): boolean {
  const method = isObject(e.input.request) ? e.input.request.method : undefined;
  return e.result.allow && typeof method === 'string' && (method.startsWith('admin/console') || method === 'admin/approvals');
}

const contains = (value: string | null, wanted: string | undefined): boolean =>
  wanted === undefined || wanted === '' || (value !== null && value.toLowerCase().includes(wanted.toLowerCase()));

export function matchesFilter(d: DecisionSummary, f: DecisionFilter): boolean {
  if (f.outcome === 'allow' && !d.allow) return false;
  if (f.outcome === 'deny' && d.allow) return false;
  if (!contains(d.user, f.user) || !contains(d.server, f.server) || !contains(d.name, f.tool)) return false;
  if (f.rule !== undefined && f.rule !== '' && !d.rules.some((r) => contains(r, f.rule))) return false;
  return true;
}

export class DecisionFeed {
  private readonly ring: DecisionDetail[] = [];
  private readonly byId = new Map<string, DecisionDetail>();
  private queue: DecisionEvent[] = [];
  /** Shadow answers that came before their decision was masked (bounded by the queue). */
  private readonly early = new Map<string, ShadowAnswer>();
  private scheduled = false;
  private readonly listeners = new Set<FeedListener>();
  private dropped = 0;

  constructor(private readonly opts: DecisionFeedOptions) {}

  /** The onDecision hook. */
  readonly record = (event: DecisionEvent): void => {
    if (ownRead(event)) return;
    if (this.queue.length >= this.opts.max) {
      this.dropped++;
      return;
    }
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  };

  /** The shadow policy's answer to a decision (ShadowPolicy.onCompared). */
  readonly shadowAnswer = (decisionId: string, candidate: PolicyDecision, revision: string): void => {
    const rec = this.byId.get(decisionId);
    const answer = (result: DecisionEvent['result']): ShadowAnswer => ({ revision, decision: decisionJson(candidate), differs: differingFields(result, candidate) });
    if (rec) {
      rec.shadow = answer(rec.result);
      this.emit('shadow', summaryOf(rec));
      return;
    }
    const queued = this.queue.find((e) => e.decisionId === decisionId);
    if (queued && this.early.size < this.opts.max) this.early.set(decisionId, answer(queued.result));
  };

  onRecord(l: FeedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Newest first. */
  list(filter: DecisionFilter, limit: number): DecisionSummary[] {
    const out: DecisionSummary[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < limit; i--) {
      const s = summaryOf(this.ring[i]!);
      if (matchesFilter(s, filter)) out.push(s);
    }
    return out;
  }

  get(id: string): DecisionDetail | undefined {
    return this.byId.get(id);
  }

  /** The kept inputs, oldest first, as `hatago policy diff --replay` reads a log. */
  replayEntries(): ReplayEntry[] {
    const out: ReplayEntry[] = [];
    this.ring.forEach((r, i) => {
      if (r.input) out.push({ decisionId: r.id, line: i + 1, input: r.input });
    });
    return out;
  }

  status(): { kept: number; max: number; dropped: number } {
    return { kept: this.ring.length, max: this.opts.max, dropped: this.dropped };
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const e of batch) {
      const rec = this.materialize(e);
      const early = this.early.get(e.decisionId);
      if (early) rec.shadow = early;
      this.ring.push(rec);
      this.byId.set(rec.id, rec);
      while (this.ring.length > this.opts.max) this.byId.delete(this.ring.shift()!.id);
      this.emit('decision', summaryOf(rec));
    }
    this.early.clear();
  }

  private materialize(e: DecisionEvent): DecisionDetail {
    const masked = maskDecisionInput(e.input, this.opts.sanitize);
    const text = JSON.stringify(masked);
    const bytes = Buffer.byteLength(text);
    const request = isObject(e.input.request) ? e.input.request : {};
    const principal = isObject(e.input.principal) ? e.input.principal : {};
    return {
      id: e.decisionId,
      time: e.timestamp,
      revision: e.revision,
      allow: e.result.allow,
      ...(!e.result.allow && e.result.code !== undefined && { code: e.result.code }),
      rules: e.result.reasons.map((r) => r.rule),
      method: str(request.method),
      server: str(request.server),
      name: str(request.name),
      user: str(principal.sub),
      result: e.result,
      input: bytes <= this.opts.maxInputBytes ? masked : null,
      inputBytes: bytes,
    };
  }

  private emit(event: 'decision' | 'shadow', data: DecisionSummary): void {
    for (const l of this.listeners) {
      try {
        l(event, data);
      } catch {
        // A listener (a stream) that fails drops itself; the feed goes on.
      }
    }
  }
}

function summaryOf(r: DecisionDetail): DecisionSummary {
  return {
    id: r.id,
    time: r.time,
    revision: r.revision,
    allow: r.allow,
    ...(r.code !== undefined && { code: r.code }),
    rules: r.rules,
    method: r.method,
    server: r.server,
    name: r.name,
    user: r.user,
    ...(r.shadow && { shadow: r.shadow }),
  };
}
