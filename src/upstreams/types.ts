import type { EventEmitter } from 'node:events';
import type { ServerConfig } from '../config/types.js';
import type { LogWriter } from '../log/logger.js';

// Items as the upstream reported them (MCP spec shapes, kept as plain JSON).
export type McpItem = Record<string, unknown> & { name?: string; uri?: string; uriTemplate?: string };

/** What an upstream last said it offers. Kept after the upstream dies. */
export interface UpstreamCatalog {
  tools: McpItem[];
  prompts: McpItem[];
  resources: McpItem[];
  resourceTemplates: McpItem[];
}

/**
 * - `starting`: first connection under way.
 * - `ready`: connected and listed.
 * - `unavailable`: was ready, lost; reconnecting/restarting with backoff. Catalog kept.
 * - `failed`: never came up (yet); retrying with backoff. Catalog empty.
 * - `stopped`: stopped by the hub.
 */
export type UpstreamState = 'starting' | 'ready' | 'unavailable' | 'failed' | 'stopped';

export interface UpstreamStatus {
  id: string;
  transport: 'stdio' | 'http' | 'sse';
  state: UpstreamState;
  /** Protocol revision negotiated with the upstream, once known. */
  protocolVersion?: string;
  /** Short, secret-free reason for the last failure. */
  lastError?: string;
  restarts: number;
  since: string;
  counts: { tools: number; prompts: number; resources: number; resourceTemplates: number };
}

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Where an upstream's requests to "the client" (sampling, elicitation,
 * roots) go during one call: the downstream client that made the call.
 */
export interface ClientRelay {
  /** Capabilities the downstream client declared (2025-11-25 initialize). */
  capabilities: Record<string, unknown> | undefined;
  request(method: string, params: unknown, signal?: AbortSignal): Promise<Record<string, unknown>>;
}

export interface UpstreamCallOptions {
  /** W3C trace context of the calling span: sent as `traceparent`/`tracestate` headers on HTTP transports. */
  trace?: { traceparent: string; tracestate?: string };
  /** Aborting it cancels the upstream request (notifications/cancelled). */
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (p: ProgressUpdate) => void;
  /** Notifications that arrive inside this call's answer (they belong to its caller, not to everyone). */
  onNotification?: (method: string, params: unknown) => void;
  relay?: ClientRelay;
}

/**
 * One upstream MCP server. Events:
 * - `catalog` (catalog: UpstreamCatalog): the item lists changed.
 * - `notification` (method: string, params: unknown): logging, resources/updated, ...
 * - `state` (status: UpstreamStatus)
 * - `relay_refused` (RelayRefusal): an upstream→client request refused because no caller could be matched to it
 */
export interface Upstream extends EventEmitter {
  readonly id: string;
  readonly config: ServerConfig;
  status(): UpstreamStatus;
  catalog(): UpstreamCatalog;
  /**
   * Sends one request. Resolves with the JSON-RPC result. Rejects with
   * HatagoError (ERR_UPSTREAM_UNAVAILABLE / _TIMEOUT / _ERROR) or with
   * UpstreamRpcError when the upstream answered a JSON-RPC error.
   */
  request(method: string, params: Record<string, unknown> | undefined, opts?: UpstreamCallOptions): Promise<Record<string, unknown>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RelayRefusal {
  method: string;
  reason: string;
}

/** The logger shape upstreams accept (src/log's Logger fits). */
export type UpstreamLogger = LogWriter;

export interface UpstreamOptions {
  logger?: UpstreamLogger;
  /** Per-call timeout when neither the call nor the server sets one. Default 60 000 ms. */
  defaultTimeoutMs?: number;
  /** Limit for connect + initialize + first listing. Default 30 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect/restart backoff: first delay, doubling up to `maxMs`. Default 500 ms .. 30 000 ms. */
  backoff?: { initialMs?: number; maxMs?: number };
}
