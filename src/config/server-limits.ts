// Limits of the HTTP server itself (`http.*`), before any request reaches a
// stage: how many connections one address and everyone together may hold,
// and how long a client may take. Defaults here, one place, used by the
// server (src/server/listen.ts) and the config validation. docs/server-limits.md.

import type { HttpConfig } from './types.js';

export interface ServerLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = {
  maxConnections: 1024,
  maxConnectionsPerIp: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
};

/** The configured limits, defaults filled in. */
export function serverLimits(http: Partial<HttpConfig> | undefined): ServerLimits {
  return {
    maxConnections: http?.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections,
    maxConnectionsPerIp: http?.maxConnectionsPerIp ?? DEFAULT_SERVER_LIMITS.maxConnectionsPerIp,
    headersTimeoutMs: http?.headersTimeoutMs ?? DEFAULT_SERVER_LIMITS.headersTimeoutMs,
    requestTimeoutMs: http?.requestTimeoutMs ?? DEFAULT_SERVER_LIMITS.requestTimeoutMs,
    keepAliveTimeoutMs: http?.keepAliveTimeoutMs ?? DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs,
    idleTimeoutMs: http?.idleTimeoutMs ?? DEFAULT_SERVER_LIMITS.idleTimeoutMs,
  };
}

/** Why these limits cannot work together, naming the keys; undefined when they can. */
export function serverLimitsProblem(l: ServerLimits): string | undefined {
  // Node refuses a request timeout shorter than the headers timeout.
  if (l.headersTimeoutMs > l.requestTimeoutMs) return `http.headersTimeoutMs (${l.headersTimeoutMs}) must not exceed http.requestTimeoutMs (${l.requestTimeoutMs})`;
  if (l.maxConnections > 0 && l.maxConnectionsPerIp > l.maxConnections) return `http.maxConnectionsPerIp (${l.maxConnectionsPerIp}) must not exceed http.maxConnections (${l.maxConnections})`;
  return undefined;
}
