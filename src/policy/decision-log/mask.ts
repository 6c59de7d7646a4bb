// Masks secrets in a decision input before it is written to the decision log.
// A small local masker: the audit trail's sanitizer (src/log) replaces it
// once it lands; both have the shape `(value) => masked copy`.

export const MASK = '[MASKED]';

/** Argument and object keys whose values are always masked (case-insensitive, `-`/`_` ignored). */
export const DEFAULT_MASKED_FIELDS = [
  'password', 'passwd', 'secret', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'apikey', 'authorization',
  'auth', 'credential', 'credentials', 'privatekey', 'clientsecret', 'cookie', 'sessionkey', 'signature',
];

/** String values that look like secrets wherever they appear. */
export const SECRET_PATTERNS: RegExp[] = [
  /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/, // JWT
  /\bBearer\s+\S+/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\b(?:sk|pk|rk)[-_](?:live|test)?[-_]?[A-Za-z0-9]{16,}/, // Stripe/OpenAI style keys
  /\bgh[pousr]_[A-Za-z0-9]{30,}/, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/, // Slack tokens
];

export type Sanitizer = (value: unknown) => unknown;

const norm = (k: string): string => k.toLowerCase().replace(/[-_]/g, '');

/** A sanitizer masking `fields` (plus the defaults) by key and secret-looking strings anywhere. */
export function createMasker(extraFields: string[] = []): Sanitizer {
  const fields = new Set([...DEFAULT_MASKED_FIELDS, ...extraFields].map(norm));
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return SECRET_PATTERNS.some((re) => re.test(v)) ? MASK : v;
    if (v === null || typeof v !== 'object') return v;
    if (depth > 32) return MASK; // deeper than any real argument: do not recurse forever
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fields.has(norm(k)) && x !== null ? MASK : walk(x, depth + 1);
    return out;
  };
  return (v) => walk(v, 0);
}

/**
 * Masks a contract-v1 decision input: every principal claim value (claims
 * may carry e-mail, tenant ids, raw tokens), and secrets in arguments and
 * anywhere else. Keys stay, so a replay still sees which claims were present.
 */
export function maskDecisionInput(input: Record<string, unknown>, sanitize: Sanitizer): Record<string, unknown> {
  const masked = sanitize(input) as Record<string, unknown>;
  const principal = masked.principal;
  if (principal !== null && typeof principal === 'object' && !Array.isArray(principal)) {
    const claims = (principal as Record<string, unknown>).claims;
    if (claims !== null && typeof claims === 'object' && !Array.isArray(claims)) {
      (principal as Record<string, unknown>).claims = Object.fromEntries(Object.keys(claims).map((k) => [k, MASK]));
    }
  }
  return masked;
}
