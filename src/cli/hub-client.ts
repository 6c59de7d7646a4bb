// Talking to a running hub from the CLI (`hatago metrics`, `hatago
// approvals`): where it listens, one fetch that names the hub when nothing
// answers, and what a refusal body says.

import { configFileFor } from '../audit/trail-path.js';
import { embeddedDefaultConfig } from '../config/default-config.js';
import { expandEnv } from '../config/expand-env.js';
import { HatagoError } from '../errors/index.js';

/** What the hub answers on refusal (JSON-RPC error body); every field may be missing. */
export interface Refusal {
  message?: string;
  code?: string;
  blockedUntil?: string;
  retryAfter?: number;
}

/** `--url`, else the address in `--config` (or the embedded default's). */
export function hubBaseUrl(opts: { url?: string; config?: string }): string {
  if (opts.url !== undefined) return opts.url;
  // Only http.* is read (and only its ${VAR}s expanded): a client needs the hub's address, not its secrets.
  const http = hubAddress(configFileFor(opts.config)?.parsed);
  const host = http.host === '0.0.0.0' ? '127.0.0.1' : http.host.includes(':') ? `[${http.host}]` : http.host;
  return `${http.tls ? 'https' : 'http'}://${host}:${http.port}`;
}

/** fetch, with "No hub answers at ..." (ERR_UPSTREAM_UNAVAILABLE) when nothing does. */
export async function fetchHub(base: string, url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new HatagoError('ERR_UPSTREAM_UNAVAILABLE', { message: `No hub answers at ${base} (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message})` });
  }
}

export function readRefusal(text: string): Refusal {
  try {
    const error = (JSON.parse(text) as { error?: { message?: unknown; data?: Record<string, unknown> } }).error;
    const data = error?.data ?? {};
    return {
      ...(typeof error?.message === 'string' && { message: error.message }),
      ...(typeof data.code === 'string' && { code: data.code }),
      ...(typeof data.blockedUntil === 'string' && { blockedUntil: data.blockedUntil }),
      ...(typeof data.retryAfter === 'number' && { retryAfter: data.retryAfter }),
    };
  } catch {
    return { message: text.trim().slice(0, 200) }; // not JSON: print as it came
  }
}

/** The hub's http.host, http.port and whether TLS is on, from a parsed config (else the embedded default's). */
function hubAddress(parsed: unknown): { host: string; port: number; tls: boolean } {
  const http = (parsed as { http?: { host?: unknown; port?: unknown; ssl?: { enabled?: unknown } } } | undefined)?.http ?? {};
  const expand = (v: unknown, pointer: string) => (typeof v === 'string' ? expandEnv(v, process.env, pointer) : v);
  const host = expand(http.host, '/http/host');
  const port = Number(expand(http.port, '/http/port'));
  return {
    host: typeof host === 'string' && host !== '' ? host : embeddedDefaultConfig().http.host,
    port: Number.isInteger(port) && port > 0 ? port : embeddedDefaultConfig().http.port,
    tls: http.ssl?.enabled === true,
  };
}
