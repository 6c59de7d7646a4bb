// Token lifetimes as the guide writes them: '24h', '1h', '30m', '45s', '7d',
// a bare number of seconds, or a numeric string ('3600').

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in `value`, or undefined when it is not a positive duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]) * (UNIT_SECONDS[(m[2] || 's').toLowerCase()] ?? 1);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
