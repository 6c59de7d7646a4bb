// Masks secrets in everything hatago writes (log lines, audit records,
// upstream stderr). Compiled once; `value` and `text` never throw: a part
// that cannot be sanitized is dropped, never written as it was.

export const REDACTED = '[REDACTED]';
const DROPPED = '[UNSANITIZABLE]';
const MAX_DEPTH = 16;

/** The guide's `security.logging.maskedFields`. */
export const DEFAULT_MASKED_FIELDS = ['password', 'token', 'secret', 'key', 'auth', 'jwt', 'bearer', 'authorization', 'cookie'];

/** The guide's three `customSanitizer.patterns`: base64-ish tokens, sk- API keys, card numbers. */
export const DEFAULT_PATTERNS = ['\\b[A-Za-z0-9+/]{40,}={0,2}\\b', '\\bsk-[A-Za-z0-9]{32,}\\b', '\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b'];

export interface SanitizerOptions {
  /** Default true. `false` turns masking off entirely (the guide's `sanitize`). */
  sanitize?: boolean;
  /** Key-name fragments; a key is masked when its name contains one, case-insensitively. */
  maskedFields?: string[];
  /** Extra regexes (strings) masked in every string value. Default DEFAULT_PATTERNS. */
  patterns?: string[];
  /** Literal secret values (upstream env, auth secret) masked wherever they appear. */
  secrets?: string[];
}

export interface Sanitizer {
  /** A deep copy with masked keys and masked text. Errors become {name, message, stack}. */
  value(v: unknown): unknown;
  /** Free text (a message, a stack trace, a stderr line) with secrets masked. */
  text(s: string): string;
  /** Adds literal secrets known only later (e.g. config values). */
  addSecrets(values: Iterable<string>): void;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** JWTs (three base64url segments, header starts "eyJ") and `Bearer <credential>` in free text. */
const BUILTIN_TEXT = [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, /\b([Bb]earer|BEARER|Basic)\s+[^\s"',;]+/g];

export function createSanitizer(opts: SanitizerOptions = {}): Sanitizer {
  if (opts.sanitize === false) {
    return { value: (v) => v, text: (s) => s, addSecrets: () => undefined };
  }
  const fields = (opts.maskedFields ?? DEFAULT_MASKED_FIELDS).map((f) => f.toLowerCase()).filter((f) => f.length > 0);
  const keyRe = fields.length > 0 ? new RegExp(fields.map(escapeRe).join('|'), 'i') : null;
  // `password=x`, `API_KEY = x`, `"token":"x"` inside free text (stderr, error messages, embedded
  // JSON). A bare `token: word` is left alone: prose such as "authentication failed: reason" is common.
  const alt = fields.map(escapeRe).join('|');
  const assignRes = keyRe
    ? [
        new RegExp(`([\\w.-]*(?:${alt})[\\w.-]*\\s*=\\s*["']?)([^\\s"'&,;}]+)`, 'gi'),
        new RegExp(`(["'][\\w.-]*(?:${alt})[\\w.-]*["']\\s*:\\s*["']?)([^\\s"'&,;}]+)`, 'gi'),
      ]
    : [];
  const custom: RegExp[] = [];
  for (const p of opts.patterns ?? DEFAULT_PATTERNS) {
    try {
      custom.push(new RegExp(p, 'g'));
    } catch {
      // Config validation reports bad patterns; a bad one here is skipped, not fatal.
    }
  }
  let literals: RegExp | null = null;
  const secretSet = new Set<string>();
  const addSecrets = (values: Iterable<string>) => {
    for (const v of values) if (typeof v === 'string' && v.length >= 6) secretSet.add(v);
    literals = secretSet.size > 0 ? new RegExp([...secretSet].sort((a, b) => b.length - a.length).map(escapeRe).join('|'), 'g') : null;
  };
  addSecrets(opts.secrets ?? []);

  const text = (s: string): string => {
    try {
      let out = s;
      if (literals) out = out.replace(literals, REDACTED);
      for (const re of BUILTIN_TEXT) out = out.replace(re, (m, scheme?: string) => (typeof scheme === 'string' && m.startsWith(scheme) ? `${scheme} ${REDACTED}` : REDACTED));
      for (const re of assignRes) out = out.replace(re, (_m, name: string) => `${name}${REDACTED}`);
      for (const re of custom) out = out.replace(re, REDACTED);
      return out;
    } catch {
      return DROPPED;
    }
  };

  const walk = (v: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
    if (depth >= MAX_DEPTH || seen.has(v)) return DROPPED;
    seen.add(v);
    try {
      if (v instanceof Error) {
        const e: Record<string, unknown> = { name: v.name, message: text(v.message) };
        if (v.stack) e.stack = text(v.stack);
        const code = (v as { code?: unknown }).code;
        if (typeof code === 'string') e.code = code;
        return e;
      }
      if (Array.isArray(v)) return v.map((x) => safeWalk(x, depth + 1, seen));
      if (v instanceof Date) return v.toISOString();
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = keyRe?.test(k) ? REDACTED : safeWalk(x, depth + 1, seen);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  const safeWalk = (v: unknown, depth: number, seen: WeakSet<object>): unknown => {
    try {
      return walk(v, depth, seen);
    } catch {
      return DROPPED;
    }
  };

  return { value: (v) => safeWalk(v, 0, new WeakSet()), text, addSecrets };
}
