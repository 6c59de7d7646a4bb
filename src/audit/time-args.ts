// Parsing of `hatago audit` time arguments, with one-line errors.

export class AuditArgumentError extends Error {}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `YYYY-MM-DD` (UTC; as an end bound it means the whole day) or an ISO 8601
 * time with a zone. Anything else, or an impossible date, is an error.
 */
export function parseDateArg(name: string, value: string, bound: 'start' | 'end'): Date {
  const m = DATE_ONLY.exec(value);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
      throw new AuditArgumentError(`${name} "${value}" is not a calendar date`);
    }
    return bound === 'end' ? new Date(date.getTime() + 86_400_000 - 1) : date;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new AuditArgumentError(`${name} "${value}" is not a date: use YYYY-MM-DD or an ISO 8601 time such as 2024-01-31T12:00:00Z`);
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `24h`, `7d`: a positive whole number and one unit. */
export function parseDurationArg(name: string, value: string): number {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) throw new AuditArgumentError(`${name} "${value}" is not a duration: use a positive number and a unit s, m, h or d (e.g. 24h)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}
