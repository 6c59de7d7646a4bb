// Calls held for approval, waiting for a verdict. Bounded in all and per
// principal; each entry ends exactly once: approved, denied, timed out, or
// withdrawn (the client cancelled or went away). Nothing here decides who
// may approve: the policy does (admin/approvals/decide).

import { randomUUID } from 'node:crypto';
import { HatagoError } from '../errors/index.js';

/** How a held call reached its approver. */
export type ApprovalChannel = 'client' | 'out_of_band';

export type ApprovalOutcome = 'approved' | 'denied' | 'timeout' | 'withdrawn';

/** One held call, as `hatago approvals list` and GET /admin/approvals show it. */
export interface PendingApproval {
  id: string;
  decisionId: string;
  revision: string | null;
  /** The caller's principal (`sub`); null when anonymous. */
  requestedBy: string | null;
  sessionId: string | null;
  method: string;
  server: string;
  /** The exposed name the client called. */
  name: string | null;
  reason: string;
  approvers: string[];
  rules: string[];
  channel: ApprovalChannel;
  /** sha256 of the canonical JSON of what goes upstream: an approval is of exactly these arguments. */
  argumentsDigest: string;
  /** The arguments as approvers see them: secrets masked, bounded. */
  arguments: unknown;
  createdAt: string;
  expiresAt: string;
}

export interface ApprovalVerdict {
  outcome: ApprovalOutcome;
  /** Who decided (principal sub, or "client" for the caller's own answer); null for timeout and withdrawal. */
  by: string | null;
  channel: ApprovalChannel | null;
  note?: string;
}

export interface ApprovalLimits {
  /** Held calls in all. Default 256. */
  maxPending: number;
  /** Held calls per principal (anonymous callers share one budget). Default 16. */
  maxPerPrincipal: number;
}

export const DEFAULT_APPROVAL_LIMITS: ApprovalLimits = { maxPending: 256, maxPerPrincipal: 16 };

interface Entry {
  item: PendingApproval;
  settle: (v: ApprovalVerdict) => void;
}

/** Told when a call is held and when it leaves the queue (the console's live Approvals view). */
export type ApprovalQueueListener = (change: { event: 'held'; item: PendingApproval } | { event: 'ended'; item: PendingApproval; outcome: ApprovalOutcome }) => void;

export class ApprovalQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly perPrincipal = new Map<string, number>();
  private readonly listeners = new Set<ApprovalQueueListener>();

  constructor(private readonly limits: ApprovalLimits = DEFAULT_APPROVAL_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds one call until a verdict, `timeoutMs`, or `signal` (withdrawn).
   * Throws ERR_APPROVAL_LIMIT when the queue or the principal's share is full.
   */
  hold(item: Omit<PendingApproval, 'id' | 'createdAt' | 'expiresAt'>, timeoutMs: number, signal?: AbortSignal): { item: PendingApproval; verdict: Promise<ApprovalVerdict> } {
    const who = item.requestedBy ?? '';
    const mine = this.perPrincipal.get(who) ?? 0;
    if (this.entries.size >= this.limits.maxPending || mine >= this.limits.maxPerPrincipal) {
      throw new HatagoError('ERR_APPROVAL_LIMIT', { data: { decisionId: item.decisionId } });
    }
    const now = Date.now();
    const full: PendingApproval = { ...item, id: randomUUID(), createdAt: new Date(now).toISOString(), expiresAt: new Date(now + timeoutMs).toISOString() };
    this.perPrincipal.set(who, mine + 1);
    const verdict = new Promise<ApprovalVerdict>((resolve) => {
      const timer = setTimeout(() => finish({ outcome: 'timeout', by: null, channel: null }), timeoutMs);
      timer.unref();
      const onAbort = () => finish({ outcome: 'withdrawn', by: null, channel: null });
      const finish = (v: ApprovalVerdict) => {
        if (!this.entries.delete(full.id)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const left = (this.perPrincipal.get(who) ?? 1) - 1;
        if (left > 0) this.perPrincipal.set(who, left);
        else this.perPrincipal.delete(who);
        this.tell({ event: 'ended', item: full, outcome: v.outcome });
        resolve(v);
      };
      this.entries.set(full.id, { item: full, settle: finish });
      this.tell({ event: 'held', item: full });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    return { item: full, verdict };
  }

  /** Returns the function that stops the listening. */
  onChange(l: ApprovalQueueListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private tell(change: Parameters<ApprovalQueueListener>[0]): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A listener never stands between a held call and its verdict.
      }
    }
  }

  /**
   * Pending calls, oldest first, as approvers see them: without the session
   * id (an anonymous session's id is all it takes to use that session).
   */
  list(): Omit<PendingApproval, 'sessionId'>[] {
    return [...this.entries.values()].map(({ item: { sessionId: _hidden, ...shown } }) => shown);
  }

  get(id: string): PendingApproval | undefined {
    return this.entries.get(id)?.item;
  }

  /** Ends a pending call with a verdict; false when nothing with this id is pending. */
  decide(id: string, verdict: ApprovalVerdict): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    entry.settle(verdict);
    return true;
  }

  /** Shutdown: everything pending is withdrawn (its callers get ERR_APPROVAL_DENIED). */
  close(): void {
    for (const e of [...this.entries.values()]) e.settle({ outcome: 'withdrawn', by: null, channel: null, note: 'hub stopping' });
  }
}
