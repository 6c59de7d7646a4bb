import { SSEClientTransport, StreamableHTTPClientTransport, type Transport, type VersionNegotiationMode } from '@modelcontextprotocol/client';
import type { Readable } from 'node:stream';
import type { ServerConfig } from '../config/types.js';
import { childEnv } from './child-env.js';
import { ChildStdioTransport } from './child-stdio-transport.js';
import { responseLimits } from './response-limits.js';
import { boundedFetch } from './bounded-fetch.js';
import { HttpSessionTransport } from './http-session-transport.js';

export type TransportKind = 'stdio' | 'http' | 'sse';

export interface OpenedTransport {
  transport: Transport;
  kind: TransportKind;
  /**
   * How the 2.x client negotiates the revision:
   * - http: `auto` probes with `server/discover`; a 2026-07-28 server is
   *   spoken to statelessly, anything else falls back to `initialize`
   *   (2025-11-25 sessions). Silence on HTTP is an outage, not "legacy".
   * - stdio: `legacy` (plain `initialize`). `auto` on stdio would spawn a
   *   second, short-lived copy of the server for the probe, and a server's
   *   side effects at start (locks, files) should not happen twice; servers
   *   built on the 2.x SDK still answer `initialize` on stdio.
   * - sse: the legacy HTTP+SSE transport only exists in 2024-11-05..2025-11-25.
   */
  negotiation: VersionNegotiationMode;
  /** Child stderr (stdio only), read for debug logs. */
  stderr?: Readable | null;
}

export function transportKind(config: ServerConfig): TransportKind {
  if (config.type) return config.type;
  return config.url ? 'http' : 'stdio';
}

export function openTransport(config: ServerConfig): OpenedTransport {
  const kind = transportKind(config);
  const opened = openByKind(config, kind);
  // An operator pin (mcpServers.<id>.protocolVersion) overrides negotiation:
  // 2026-07-28 is spoken statelessly, 2025-11-25 with initialize and a session.
  if (config.protocolVersion === undefined) return opened;
  return { ...opened, negotiation: config.protocolVersion === '2025-11-25' ? 'legacy' : { pin: config.protocolVersion } };
}

function openByKind(config: ServerConfig, kind: TransportKind): OpenedTransport {
  if (kind === 'stdio') {
    if (!config.command) throw new Error('stdio upstream has no command');
    const transport = new ChildStdioTransport({
      command: config.command,
      args: config.args ?? [],
      env: childEnv(config.env),
      ...(config.cwd ? { cwd: config.cwd } : {}),
      limits: responseLimits(config),
    });
    return { transport, kind, negotiation: 'legacy', stderr: transport.stderr };
  }
  if (!config.url) throw new Error(`${kind} upstream has no url`);
  const url = new URL(config.url);
  const requestInit: RequestInit = config.headers ? { headers: { ...config.headers } } : {};
  // Every answer is read within the server's bounds (bounded-fetch.ts).
  const bounded = boundedFetch(responseLimits(config));
  if (kind === 'sse') {
    const headers = config.headers ?? {};
    return {
      transport: new SSEClientTransport(url, {
        requestInit,
        fetch: bounded,
        // EventSource takes headers through its fetch; without this the GET /sse would lack auth.
        eventSourceInit: { fetch: (u, init) => bounded(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
      }),
      kind,
      negotiation: 'legacy',
    };
  }
  // The SDK transport's own SSE-stream reconnection (and Last-Event-ID
  // resumption, 2026-07-28) is kept short: the upstream's loss handling
  // (reconnect with a fresh initialize) takes over.
  const sdk = new StreamableHTTPClientTransport(url, {
    requestInit,
    fetch: bounded,
    reconnectionOptions: { initialReconnectionDelay: 200, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 2, maxRetries: 1 },
  });
  return {
    transport: new HttpSessionTransport(config.url, config.headers, responseLimits(config), sdk),
    kind,
    negotiation: 'auto',
  };
}
