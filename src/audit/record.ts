import { createHash } from 'node:crypto';

// One audit record as it is written: the guide's fields, the decision that
// produced it, and the chain (seq, prevHash, hash).

export const AUDIT_COMPONENT = 'security-audit';
/** prevHash of the very first record. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord {
  seq: number;
  timestamp: string;
  level: 'info' | 'warn' | 'error';
  component: typeof AUDIT_COMPONENT;
  event: string;
  user: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  decisionId?: string;
  revision?: string;
  metadata: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every depth: the bytes the hash covers. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  // Built by concatenation (no arrays of parts): this runs over every audit record.
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of Object.keys(o).sort()) {
    const x = o[k];
    if (x === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(x);
    first = false;
  }
  return `${out}}`;
}

/** SHA-256 over the canonical record without its own `hash` (prevHash and seq are inside). */
export function recordHash(record: Omit<AuditRecord, 'hash'> | Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = record as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
