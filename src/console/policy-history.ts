// Policy history for the console: the activations and rejections this hub
// saw since it started (the start-up activation first), newest last, at most
// MAX_HISTORY. Older history is in the audit trail (`hatago audit --event
// policy_activated`).
import type { SecurityEvent } from '../pipeline/security-events.js';

export const MAX_HISTORY = 200;

export interface HistoryEntry {
  event: 'policy_activated' | 'policy_rejected';
  at: string;
  revision: string;
  previousRevision?: string;
  /** activated: the new bundle's digest; rejected: the rejected bytes' digest. */
  digest?: string;
  source?: string;
  signed?: boolean;
  code?: string;
  reason?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class PolicyHistory {
  private readonly entries: HistoryEntry[] = [];

  constructor(first: { revision: string; activatedAt: string; source: string; digest: string; signed: boolean }) {
    this.entries.push({ event: 'policy_activated', at: first.activatedAt, revision: first.revision, digest: first.digest, source: first.source, signed: first.signed });
  }

  /** Records a policy event; returns the entry, or undefined for other events. */
  add(e: SecurityEvent, at: Date = new Date()): HistoryEntry | undefined {
    if (e.event !== 'policy_activated' && e.event !== 'policy_rejected') return undefined;
    const m = e.metadata ?? {};
    const entry: HistoryEntry = {
      event: e.event,
      at: at.toISOString(),
      revision: e.revision ?? str(m.revision) ?? '',
      ...(str(m.previousRevision) !== undefined && { previousRevision: str(m.previousRevision) }),
      ...(str(m.digest) !== undefined && { digest: str(m.digest) }),
      ...(str(m.source) !== undefined && { source: str(m.source) }),
      ...(typeof m.signed === 'boolean' && { signed: m.signed }),
      ...(str(m.code) !== undefined && { code: str(m.code) }),
      ...(str(m.reason) !== undefined && { reason: str(m.reason)!.slice(0, 500) }),
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_HISTORY) this.entries.shift();
    return entry;
  }

  list(): HistoryEntry[] {
    return [...this.entries];
  }
}
