// The same hub over stdin/stdout (2025-11-25): one client, one connection.
// The JSON-lines transport frames, the validation stage's checks run on every
// line, and the one DownstreamPeer serves requests through the hub's MCP
// stages, as it does for HTTP sessions.

import type { Readable, Writable } from 'node:stream';
import { JsonLinesTransport } from './json-lines-transport.js';
import { HatagoError } from '../errors/index.js';
import { toClientError } from '../hub/client-error.js';
import type { Hub } from '../hub/hub.js';
import { LEGACY_PROTOCOL_VERSIONS } from '../hub/server-info.js';
import type { CallerContext, HubLogger, Principal } from '../hub/types.js';
import { DownstreamPeer, type PeerChannel } from '../peer/downstream-peer.js';
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

export async function serveStdio(hub: Hub, opts: StdioOptions): Promise<StdioServer> {
  const transport = new JsonLinesTransport(opts.input, opts.output);
  const connectionId = 'stdio';
  // The one client of this connection: requests in flight, relayed requests, capabilities.
  const peer = new DownstreamPeer();
  let protocolVersion = '2025-11-25';

  const send = (m: unknown) => transport.send(m).catch((err: unknown) => opts.logger.warn('stdout write failed', { error: String(err) }));
  // stdout is the one channel to the client: progress, relayed requests and notifications all go there.
  const stdout: PeerChannel = { isOpen: true, send: (m) => void send(m) };

  const caller = (): CallerContext => ({ transport: 'stdio', protocolVersion, client: { ip: null, origin: null, userAgent: null }, principal: opts.principal ?? null, connectionId });
  const disconnect = hub.connect(connectionId, { logLevel: 0, notify: (method, params) => void send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }) }, caller);

  const onRequest = async (msg: Msg & { id: Id; method: string }) => {
    const params = (typeof msg.params === 'object' && msg.params !== null ? msg.params : undefined) as Msg | undefined;
    try {
      const result = await peer.serve(hub, { method: msg.method, params, id: msg.id }, caller(), stdout);
      if (msg.method === 'initialize') {
        protocolVersion = String(result.protocolVersion);
        peer.clientCapabilities = (params?.capabilities as Msg | undefined) ?? {};
      }
      // This transport speaks 2025-11-25 only: its discover result says so, and an
      // auto-negotiating client falls back to initialize instead of sending 2026-07-28 requests.
      if (msg.method === 'server/discover') result.supportedVersions = [...LEGACY_PROTOCOL_VERSIONS];
      await send({ jsonrpc: '2.0', id: msg.id, result });
    } catch (err) {
      await send(toClientError(err, msg.id, opts.logger).body);
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
      if (msg.method === 'notifications/cancelled') peer.cancel(msg.params);
    } else {
      peer.resolveResponse(msg);
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
    peer.close('connection closed');
    disconnect();
    markClosed();
  };
  transport.onclose = shutdown;
  (opts.input ?? process.stdin).once('end', () => void transport.close());
  await transport.start();
  return { closed, close: () => transport.close() };
}
