import { hash as digest } from 'node:crypto';

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

/**
 * JSON with object keys sorted at every depth: the bytes the hash covers.
 * A value already in that order (the sink's records: the sanitizer copies
 * metadata with sorted keys; a line read back from the trail) is written by
 * JSON.stringify in one native pass; otherwise keys are sorted here, each
 * member tried the same way once (so no subtree is looked at more than twice).
 */
export function canonicalJson(v: unknown): string {
  return inCanonicalOrder(v) ? (JSON.stringify(v) ?? 'null') : sortedJson(v, memberJson);
}

const memberJson = (v: unknown): string => (inCanonicalOrder(v) ? (JSON.stringify(v) ?? 'null') : sortedJson(v, slowJson));
const slowJson = (v: unknown): string => sortedJson(v, slowJson);

/** `v` as canonical JSON, its members written by `member`. Built by concatenation (no arrays of parts). */
function sortedJson(v: unknown, member: (x: unknown) => string): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + member(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of Object.keys(o).sort()) {
    const x = o[k];
    if (x === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + member(x);
    first = false;
  }
  return `${out}}`;
}

/**
 * Whether JSON.stringify(v) already writes canonicalJson(v): JSON scalars,
 * arrays, and plain objects whose own keys come in sorted order (as
 * Object.keys lists them, integer-like keys first: then they must sort first
 * too), at every depth. Anything JSON.stringify writes otherwise (toJSON,
 * Dates, boxed values, functions, bigints) is not.
 */
export function inCanonicalOrder(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined': // a member JSON.stringify and canonicalJson both leave out (null in an array)
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!inCanonicalOrder(v[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  for (const k of keys) if (!inCanonicalOrder(o[k])) return false;
  return true;
}

/**
 * SHA-256 over the canonical record without its own `hash` (prevHash and seq
 * are inside). `metadataJson`: the canonical JSON of `metadata` when the
 * caller has it already (the trail's writer), so it is not made again.
 */
export function recordHash(record: Omit<AuditRecord, 'hash'> | Record<string, unknown>, metadataJson?: string): string {
  const o = record as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of Object.keys(o).sort()) {
    const x = o[k];
    if (k === 'hash' || x === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + (k === 'metadata' && metadataJson !== undefined ? metadataJson : canonicalJson(x));
    first = false;
  }
  return digest('sha256', `${out}}`, 'hex'); // one-shot: no Hash object per record
}

/**
 * The record's line (without the newline): JSON.stringify's, members in the
 * record's order, with `metadata` written as `metadataJson` (its canonical
 * JSON: the same value, keys sorted).
 */
export function recordLine(record: AuditRecord, metadataJson: string): string {
  const o = record as unknown as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(o)) {
    const text = k === 'metadata' ? metadataJson : (JSON.stringify(o[k]) as string | undefined);
    if (text === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + text;
  }
  return `${out}}`;
}
