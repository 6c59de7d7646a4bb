import type { ServerConfig } from '../config/types.js';

const MAX_REASON = 200;

/**
 * A short, secret-free reason for logs and /health: first line of the
 * error message, with header values, env values and URL credentials/query
 * masked, truncated.
 */
export function shortReason(err: unknown, config: ServerConfig): string {
  const raw = err instanceof Error ? err.message : String(err);
  let line = (raw.split('\n')[0] ?? '').trim();
  const secrets = [...Object.values(config.headers ?? {}), ...Object.values(config.env ?? {})].filter((s) => s.length >= 4);
  for (const s of secrets) line = line.split(s).join('***');
  if (config.url) line = line.split(config.url).join(safeUrl(config.url));
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line;
}

/** The URL without credentials, query or fragment (they may carry tokens). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** Truncates one stderr line for debug logs. */
export function truncateLine(line: string, max = 300): string {
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
