// Approving and revoking pins, on the store's data: `hatago tools
// approve|revoke` and the security console's pin actions (docs/console.md)
// run this one code. Each change is journaled; the hub that reads the store
// next writes the journal to the audit trail (definition_approved,
// definition_revoked), with `by` as the user.
import type { JournalEntry, PinFileData, PinRecord } from './pin-file.js';

export type PinMatch = (r: PinRecord) => boolean;

/** Pins the pending (or new) definition of every matching record; returns the journal entries added. */
export function approvePins(data: PinFileData, match: PinMatch, by: string, at: string): JournalEntry[] {
  const approved: JournalEntry[] = [];
  for (const r of data.pins.filter(match)) {
    if (!r.pending && r.approved) continue;
    const previous = r.digest;
    if (r.pending) {
      r.digest = r.pending.digest;
      r.definition = r.pending.definition;
      delete r.pending;
    }
    r.approved = true;
    r.approved_at = at;
    r.approved_by = by;
    approved.push({ event: 'definition_approved', server: r.server, kind: r.kind, name: r.name, pinned_digest: previous, digest: r.digest, by, at });
  }
  data.journal.push(...approved);
  return approved;
}

/** Forgets every matching pin (the hub records it again as new on next sight); returns the journal entries added. */
export function revokePins(data: PinFileData, match: PinMatch, by: string, at: string): JournalEntry[] {
  const revoked: JournalEntry[] = [];
  data.pins = data.pins.filter((r) => {
    if (!match(r)) return true;
    revoked.push({ event: 'definition_revoked', server: r.server, kind: r.kind, name: r.name, pinned_digest: r.digest, digest: r.pending?.digest ?? null, by, at });
    return false;
  });
  data.journal.push(...revoked);
  return revoked;
}
