// Masks secrets in everything hatago writes (log lines, audit records,
// upstream stderr). Compiled once; `value` and `text` never throw: a part
// that cannot be sanitized is dropped, never written as it was.
//
// Cost is linear in the input whatever the patterns: a string longer than
// `maxStringLength` is cut first (src/log/bound.ts); assignments and the
// guide's three default patterns are hand-written scans (src/log/assignments.ts,
// src/log/guide-patterns.ts); every other pattern, the credential formats and
// the operator's, runs under RE2 (src/log/linear-pattern.ts).
import { cutLongString, DEFAULT_MAX_STRING_LENGTH } from './bound.js';
import { maskAssignments } from './assignments.js';
import { base64Spans, cardSpans, replaceSpans, skKeySpans } from './guide-patterns.js';
import { anyOf, compileLinear, replaceAllLinear, type LinearPattern, type Replacer } from './linear-pattern.js';
import { SECRET_FORMATS } from './secret-formats.js';

export { DEFAULT_MAX_STRING_LENGTH } from './bound.js';

export const REDACTED = '[REDACTED]';
const DROPPED = '[UNSANITIZABLE]';
const MAX_DEPTH = 16;
/** One `value` call masks at most this many strings' worth of text at the cap (src/log/bound.ts). */
export const VALUE_BUDGET_STRINGS = 8;
/** Strings up to this length are masked whole whatever the budget. */
const SHORT_STRING = 64;
/** Entries of each sanitizer memo (keys, clean short strings); past it a memo starts over. */
const MEMO_ENTRIES = 4096;

/** The guide's `security.logging.maskedFields`, plus `passwd` and `pwd`. */
export const DEFAULT_MASKED_FIELDS = ['password', 'passwd', 'pwd', 'token', 'secret', 'key', 'auth', 'jwt', 'bearer', 'authorization', 'cookie'];

/** The guide's base64 pattern; run with path-like matches spared (see `looksLikePath`). */
export const BASE64_PATTERN = '\\b[A-Za-z0-9+/]{40,}={0,2}\\b';

/** The guide's three `customSanitizer.patterns`: base64-ish tokens, sk- API keys, card numbers. */
export const DEFAULT_PATTERNS = [BASE64_PATTERN, '\\bsk-[A-Za-z0-9]{32,}\\b', '\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b'];

export interface SanitizerOptions {
  /** Default true. `false` turns masking off entirely (the guide's `sanitize`). */
  sanitize?: boolean;
  /** Key-name fragments; a key is masked when its name contains one, case-insensitively. */
  maskedFields?: string[];
  /** Extra regexes (RE2 syntax) masked in every string value. Default DEFAULT_PATTERNS. */
  patterns?: string[];
  /** Strings longer than this are cut before masking, with a marker. Default DEFAULT_MAX_STRING_LENGTH. */
  maxStringLength?: number;
  /** Literal secret values (upstream env, auth secret) masked wherever they appear. */
  secrets?: string[];
}

export interface Sanitizer {
  /**
   * A deep copy with masked keys and masked text. Errors become {name, message, stack}.
   * `sortKeys`: the same copy with each object's keys in sorted order (the audit trail hashes records with sorted keys).
   */
  value(v: unknown, opts?: { sortKeys?: boolean }): unknown;
  /** Free text (a message, a stack trace, a stderr line) with secrets masked. */
  text(s: string): string;
  /** Adds literal secrets known only later (e.g. config values). */
  addSecrets(values: Iterable<string>): void;
}

/**
 * A run of base64 characters that reads as a file path: it has a slash, no
 * `+`, and every segment between slashes looks like a word rather than
 * random data (`/work/x/policies/bundle/hatago`, not `k3J/9xQ…`). Random
 * base64 switches between upper case, lower case and digits at about two
 * characters in three; a word or a CamelCase name rarely does.
 */
export function looksLikePath(run: string): boolean {
  if (!run.includes('/') || run.includes('+')) return false;
  return run.split('/').every((seg) => seg.length < 8 || classChanges(seg) * 4 <= seg.length);
}

function classChanges(seg: string): number {
  const cls = (c: number) => (c >= 48 && c <= 57 ? 0 : c >= 65 && c <= 90 ? 1 : 2);
  let n = 0;
  for (let i = 1; i < seg.length; i++) if (cls(seg.charCodeAt(i)) !== cls(seg.charCodeAt(i - 1))) n++;
  return n;
}

/** A sha256 digest labelled as one (a policy revision `sha256:7a42…`): public, and an operator needs it. */
function isLabelledDigest(run: string, offset: number, input: string): boolean {
  return run.length === 64 && /^[0-9a-f]+$/.test(run) && input.slice(Math.max(0, offset - 7), offset) === 'sha256:';
}

/** One masking step: an RE2 pattern (gated by one DFA pass over all of them), or a hand-written scan. */
type Masker = { re: LinearPattern; replace: Replacer } | { scan: (s: string) => string };

/** A built-in format: group 1 (if any) stays before the mask, group 2 after it. */
const formatMasker = (re: LinearPattern): Masker => ({ re, replace: (_m, g) => `${g[0] ?? ''}${REDACTED}${g[1] ?? ''}` });

/** The built-in formats under RE2, compiled on first need (re2js compiles slowly: tens of ms at start-up). */
let builtin: { maskers: readonly Masker[]; gate: LinearPattern | null } | undefined;
function builtinMaskers(): { maskers: readonly Masker[]; gate: LinearPattern | null } {
  if (builtin) return builtin;
  const maskers = SECRET_FORMATS.map((f) => {
    const re = compileLinear(f.pattern);
    if (!re) throw new Error(`secret format ${f.name} does not compile under RE2`);
    return formatMasker(re);
  });
  builtin = { maskers, gate: gateOf(maskers) };
  return builtin;
}

/**
 * Whether `s` holds any format's anchor (src/log/secret-formats.ts). Literals only, so V8's RegExp runs it in
 * time linear in the input; a string without one cannot match any format and skips the RE2 pass.
 */
const BUILTIN_ANCHORS = new RegExp(SECRET_FORMATS.flatMap((f) => f.anchors).map((a) => a.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'), 'i');

// The guide's defaults, given literally, run as scans (src/log/guide-patterns.ts).
const GUIDE_SCANS: ReadonlyMap<string, (s: string) => string> = new Map([
  [BASE64_PATTERN, (s: string) => replaceSpans(s, base64Spans(s), (m, at) => (looksLikePath(m) || isLabelledDigest(m, at, s) ? m : REDACTED))],
  [DEFAULT_PATTERNS[1]!, (s: string) => replaceSpans(s, skKeySpans(s), () => REDACTED)],
  [DEFAULT_PATTERNS[2]!, (s: string) => replaceSpans(s, cardSpans(s), () => REDACTED)],
]);

/** An operator's pattern: every match becomes REDACTED. */
function patternMasker(p: string): Masker | null {
  const scan = GUIDE_SCANS.get(p);
  if (scan) return { scan };
  const re = compileLinear(p);
  if (!re) return null; // config validation reports it; here it is skipped, not fatal
  return { re, replace: () => REDACTED };
}

/**
 * Applies maskers in order; the RE2 ones only when one DFA pass (`gate`) finds
 * any of them. Without a gate (none to run, or too large to combine) each one runs.
 */
function applyAll(s: string, maskers: readonly Masker[], gate: LinearPattern | null): string {
  const hit = gate === null || gate.test(s);
  let out = s;
  for (const m of maskers) {
    if ('scan' in m) out = m.scan(out);
    else if (hit) out = replaceAllLinear(m.re, out, m.replace);
  }
  return out;
}

function gateOf(maskers: readonly Masker[]): LinearPattern | null {
  return anyOf(maskers.flatMap((m) => ('re' in m ? [m.re] : [])));
}

export function createSanitizer(opts: SanitizerOptions = {}): Sanitizer {
  if (opts.sanitize === false) {
    return { value: (v) => v, text: (s) => s, addSecrets: () => undefined };
  }
  const fields = (opts.maskedFields ?? DEFAULT_MASKED_FIELDS).map((f) => f.toLowerCase()).filter((f) => f.length > 0);
  // Keys repeat in every record (method, server, input, ...): each is looked at once (a bounded memo).
  const maskedKeys = new Map<string, boolean>();
  const isMaskedKey = (k: string): boolean => {
    let masked = maskedKeys.get(k);
    if (masked === undefined) {
      const lower = k.toLowerCase();
      masked = fields.some((f) => lower.includes(f));
      if (maskedKeys.size >= MEMO_ENTRIES) maskedKeys.clear();
      maskedKeys.set(k, masked);
    }
    return masked;
  };
  const maxLength = opts.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
  const custom = (opts.patterns ?? DEFAULT_PATTERNS).map(patternMasker).filter((m): m is Masker => m !== null);
  const customGate = gateOf(custom);
  // Longest first, so a secret containing a shorter one is masked whole.
  let literals: string[] = [];
  const secretSet = new Set<string>();
  /**
   * Short strings that masking leaves as they are (method and server names, addresses, roles: most of
   * a record), so the next record does not mask them again. Only strings nothing was found in are
   * kept, never one a secret was masked in; a new secret empties it (it could be in one of them).
   */
  const clean = new Set<string>();
  const addSecrets = (values: Iterable<string>) => {
    for (const v of values) if (typeof v === 'string' && v.length >= 6) secretSet.add(v);
    literals = [...secretSet].sort((a, b) => b.length - a.length);
    clean.clear();
  };
  addSecrets(opts.secrets ?? []);

  const mask = (s: string): string => {
    const memo = s.length <= SHORT_STRING;
    if (memo && clean.has(s)) return s;
    let out = s;
    for (const lit of literals) if (out.includes(lit)) out = out.split(lit).join(REDACTED);
    if (BUILTIN_ANCHORS.test(out)) {
      const { maskers, gate } = builtinMaskers();
      out = applyAll(out, maskers, gate);
    }
    out = maskAssignments(out, fields, REDACTED);
    out = applyAll(out, custom, customGate);
    if (memo && out === s) {
      if (clean.size >= MEMO_ENTRIES) clean.clear();
      clean.add(s);
    }
    return out;
  };

  // Masks at most `limit` characters of `s`; the rest is cut off behind the marker.
  const textWithin = (s: string, limit: number): string => {
    try {
      const cut = cutLongString(s, limit, REDACTED);
      return cut ? mask(cut.head) + cut.marker : mask(s);
    } catch {
      return DROPPED;
    }
  };
  const text = (s: string): string => textWithin(s, maxLength);

  // One `value` call masks at most `perValue` characters of strings longer than
  // SHORT_STRING: a record of many long strings costs no more than 8 strings at
  // the cap; past that they keep only their marker. Short strings (codes, ids,
  // method names) are always masked whole, so a record stays readable.
  const perValue = maxLength * VALUE_BUDGET_STRINGS;
  interface Walk {
    /** The objects being walked from the root down to here (at most MAX_DEPTH): a cycle is one of them again. */
    seen: object[];
    left: number;
    /** Keys met in the object's order or sorted; written in the object's order or sorted. */
    order: 'own' | 'sorted' | 'ownSorted';
    /** Whether the budget cut a string shorter than the cap alone would have. */
    bound: boolean;
  }
  const spend = (s: string, w: Walk): string => {
    if (s.length <= SHORT_STRING) return textWithin(s, maxLength);
    if (w.left < Math.min(s.length, maxLength)) w.bound = true;
    const limit = Math.min(maxLength, w.left);
    w.left -= Math.min(s.length, limit);
    return textWithin(s, limit);
  };

  const walk = (v: unknown, depth: number, w: Walk): unknown => {
    if (typeof v === 'string') return spend(v, w);
    if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
    if (depth >= MAX_DEPTH || w.seen.includes(v)) return DROPPED;
    w.seen.push(v);
    try {
      if (v instanceof Error) {
        const e: Record<string, unknown> = { name: v.name, message: spend(v.message, w) };
        if (v.stack) e.stack = spend(v.stack, w);
        const code = (v as { code?: unknown }).code;
        if (typeof code === 'string') e.code = code;
        return e;
      }
      if (Array.isArray(v)) return v.map((x) => safeWalk(x, depth + 1, w));
      if (v instanceof Date) return v.toISOString();
      const out: Record<string, unknown> = {};
      const keys = Object.keys(v);
      if (w.order === 'sorted') keys.sort();
      const sorted: { key: string; value: unknown }[] | null = w.order === 'ownSorted' ? [] : null;
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        // A key is data too: one longer than the cap is cut and masked like a value.
        const key = k.length > maxLength ? spend(k, w) : k;
        const value = isMaskedKey(k) ? REDACTED : safeWalk(x, depth + 1, w);
        if (sorted) sorted.push({ key, value });
        else out[key] = value;
      }
      if (sorted) for (const m of sorted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) out[m.key] = m.value;
      return out;
    } finally {
      w.seen.pop();
    }
  };
  const safeWalk = (v: unknown, depth: number, w: Walk): unknown => {
    try {
      return walk(v, depth, w);
    } catch {
      return DROPPED;
    }
  };

  const value = (v: unknown, opts?: { sortKeys?: boolean }): unknown => {
    if (opts?.sortKeys !== true) return safeWalk(v, 0, { seen: [], left: perValue, order: 'own', bound: false });
    // Met in sorted order: the same copy as in the object's own order unless the budget ran out (then
    // which strings it went to depends on the order they were met in, and the walk is redone in the own order).
    const w: Walk = { seen: [], left: perValue, order: 'sorted', bound: false };
    const out = safeWalk(v, 0, w);
    return w.bound ? safeWalk(v, 0, { seen: [], left: perValue, order: 'ownSorted', bound: false }) : out;
  };
  return { value, text, addSecrets };
}
