import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRelay } from './types.js';

/**
 * The call an HTTP answer stream belongs to. The upstream runs the SDK
 * client's request inside it; an HTTP transport delivers the messages of
 * that request's answer stream inside it too, so a request or notification
 * the upstream sent in that answer is attributed to that call, and only to
 * it. Messages outside any answer (a standing GET stream, stdio, legacy SSE)
 * arrive with no call.
 */
export interface CallContext {
  relay: ClientRelay | undefined;
  onNotification: ((method: string, params: unknown) => void) | undefined;
  /** Ids of the upstream's requests inside this answer not yet answered (bounded by the HTTP transport). */
  answering: Set<string | number>;
  /** Set by an HTTP transport: closes this call's answer stream when the call ends without its answer. */
  closeAnswer?: () => void;
  /** W3C trace context of the calling span (traces on): HTTP transports send it as headers. */
  trace?: { traceparent: string; tracestate?: string } | undefined;
}

/** The current call's trace headers, for an HTTP request sent inside it. */
export function traceHeaders(): Record<string, string> {
  const t = callContext.getStore()?.trace;
  return t ? { traceparent: t.traceparent, ...(t.tracestate && { tracestate: t.tracestate }) } : {};
}

export const callContext = new AsyncLocalStorage<CallContext>();

export function newCallContext(relay?: ClientRelay, onNotification?: (method: string, params: unknown) => void, trace?: CallContext['trace']): CallContext {
  return { relay, onNotification, answering: new Set(), trace };
}
