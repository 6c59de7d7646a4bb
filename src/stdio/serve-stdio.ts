// The same hub over stdin/stdout (2025-11-25): one client, one connection.
// The SDK's stdio transport does the framing; requests go to Hub.handle,
// the client's answers resolve requests relayed on an upstream's behalf.

import type { Readable, Writable } from 'node:stream';
import { JsonLinesTransport } from './json-lines-transport.js';
import { HatagoError } from '../errors/index.js';
import { toClientError } from '../hub/client-error.js';
import { ClientRpcError } from '../hub/client-rpc-error.js';
import type { Hub } from '../hub/hub.js';
import { LEGACY_PROTOCOL_VERSIONS } from '../hub/server-info.js';
import type { CallerContext, HubLogger, Principal } from '../hub/types.js';
import type { ClientRelay } from '../upstreams/types.js';
import { DEFAULT_LIMITS, MessageValidator, checkStructure } from '../validation/index.js';

export interface StdioOptions {
  logger: HubLogger;
  input?: Readable;
  output?: Writable;
  /** Who the stdio peer is (e.g. from a token in the environment); default anonymous. */
  principal?: Principal | null;
}

export interface StdioServer {
  /** Resolves when stdin closes. */
  closed: Promise<void>;
  close(): Promise<void>;
}

type Id = string | number;
type Msg = Record<string, unknown>;

const CAPABILITY_OF: Record<string, string> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

export async function serveStdio(hub: Hub, opts: StdioOptions): Promise<StdioServer> {
  const transport = new JsonLinesTransport(opts.input, opts.output);
  const connectionId = 'stdio';
  const inflight = new Map<Id, AbortController>();
  const pending = new Map<Id, { resolve: (r: Msg) => void; reject: (e: unknown) => void }>();
  let protocolVersion = '2025-11-25';
  let capabilities: Msg = {};
  let nextOutId = 0;

  const send = (m: unknown) => transport.send(m).catch((err: unknown) => opts.logger.warn('stdout write failed', { error: String(err) }));

  const relay: ClientRelay = {
    get capabilities() {
      return capabilities;
    },
    request(method, params, signal) {
      const cap = CAPABILITY_OF[method];
      if (cap !== undefined && capabilities[cap] === undefined) {
        return Promise.reject(new HatagoError('ERR_CLIENT_CAPABILITY', { message: `The client did not declare the "${cap}" capability`, data: { method } }));
      }
      const id = `hatago-${++nextOutId}`;
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          if (!pending.delete(id)) return;
          void send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } });
          reject(signal?.reason ?? new Error('aborted'));
        };
        pending.set(id, {
          resolve: (r) => (signal?.removeEventListener('abort', onAbort), resolve(r)),
          reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        void send({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });
      });
    },
  };

  const peer: CallerContext = { transport: 'stdio', protocolVersion, client: { ip: null, origin: null, userAgent: null }, principal: opts.principal ?? null, connectionId };
  const disconnect = hub.connect(connectionId, { notify: (method, params) => void send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }) }, () => peer);

  const onRequest = async (msg: Msg & { id: Id; method: string }) => {
    const params = (typeof msg.params === 'object' && msg.params !== null ? msg.params : undefined) as Msg | undefined;
    const ac = new AbortController();
    inflight.set(msg.id, ac);
    const meta = params?._meta as Msg | undefined;
    const progressToken = meta?.progressToken;
    const ctx: CallerContext = {
      transport: 'stdio',
      protocolVersion,
      client: { ip: null, origin: null, userAgent: null },
      principal: opts.principal ?? null,
      connectionId,
      signal: ac.signal,
      relay,
      ...((typeof progressToken === 'string' || typeof progressToken === 'number') && {
        onProgress: (p) => void send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...p } }),
      }),
    };
    try {
      const result = await hub.handle({ method: msg.method, params, id: msg.id }, ctx);
      if (msg.method === 'initialize') {
        protocolVersion = String(result.protocolVersion);
        capabilities = (params?.capabilities as Msg | undefined) ?? {};
      }
      // This transport speaks 2025-11-25 only: its discover result says so, and an
      // auto-negotiating client falls back to initialize instead of sending 2026-07-28 requests.
      if (msg.method === 'server/discover') result.supportedVersions = [...LEGACY_PROTOCOL_VERSIONS];
      await send({ jsonrpc: '2.0', id: msg.id, result });
    } catch (err) {
      await send(toClientError(err, msg.id, opts.logger).body);
    } finally {
      inflight.delete(msg.id);
    }
  };

  // The validation stage, as on HTTP: limits and schemas before anything reads the message.
  const messages = new MessageValidator();
  transport.onmessage = (raw) => {
    try {
      checkStructure(raw, DEFAULT_LIMITS);
      messages.check(raw);
    } catch (err) {
      refuse(raw, err);
      return;
    }
    const msg = raw as unknown as Msg;
    if (typeof msg.method === 'string' && msg.id !== undefined) {
      void onRequest(msg as Msg & { id: Id; method: string });
    } else if (typeof msg.method === 'string') {
      if (msg.method === 'notifications/cancelled') {
        const p = msg.params as Msg | undefined;
        const id = p?.requestId;
        if (typeof id === 'string' || typeof id === 'number') inflight.get(id)?.abort('cancelled by client');
      }
    } else if (typeof msg.id === 'string' || typeof msg.id === 'number') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      const e = msg.error as { code?: number; message?: string; data?: unknown } | undefined;
      if (e) p.reject(new ClientRpcError(e.code ?? -32603, e.message ?? 'client error', e.data));
      else p.resolve((msg.result as Msg | undefined) ?? {});
    }
  };
  transport.onerror = (err) => opts.logger.warn('stdio message error', { error: err.message });

  /** An invalid request gets its JSON-RPC error; an invalid notification or response has no one to answer, so it is dropped (logged). */
  function refuse(raw: unknown, err: unknown): void {
    const m = raw !== null && typeof raw === 'object' ? (raw as Msg) : {};
    const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    if (typeof m.method === 'string' && 'id' in m) {
      void send(toClientError(err, id, opts.logger).body);
      return;
    }
    opts.logger.warn('invalid stdio message dropped', { code: (err as { code?: string }).code ?? 'ERR_INVALID_REQUEST' });
  }

  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const shutdown = () => {
    for (const ac of inflight.values()) ac.abort('connection closed');
    for (const p of pending.values()) p.reject(new Error('connection closed'));
    pending.clear();
    disconnect();
    markClosed();
  };
  transport.onclose = shutdown;
  (opts.input ?? process.stdin).once('end', () => void transport.close());
  await transport.start();
  return { closed, close: () => transport.close() };
}
