// What a 2026-07-28 (stateless) upstream needs from the hub that a 2025-era
// session did not: the per-request log level, input_required round trips
// answered by the calling client, resource subscriptions as
// `subscriptions/listen` streams, and in-call log messages attributed to
// their call without a session to carry them.
import { LOG_LEVEL_META_KEY, type Client, type McpSubscription, type RequestOptions } from '@modelcontextprotocol/client';
import { MODERN_PROTOCOL_VERSION } from '../hub/server-info.js';
import { upstreamError, UpstreamRpcError } from './errors.js';

type Params = Record<string, unknown>;
type Result = Record<string, unknown>;

export function isModernEra(protocolVersion: string | undefined): boolean {
  return protocolVersion === MODERN_PROTOCOL_VERSION;
}

/**
 * A 2025-era upstream logs at its own level unless told otherwise, and the
 * hub filters per client (logging/setLevel is never forwarded: upstreams are
 * shared). A 2026-07-28 upstream logs only at a level the request names, so
 * the hub names the most verbose one and filters the same way.
 */
export function withLogLevel(params: Params | undefined): Params {
  const meta = isObject(params?._meta) ? params._meta : {};
  if (LOG_LEVEL_META_KEY in meta) return { ...params };
  return { ...params, _meta: { ...meta, [LOG_LEVEL_META_KEY]: 'debug' } };
}

/** Rounds of input_required one call may take before the hub gives up on it. */
export const MAX_INPUT_ROUNDS = 8;

/**
 * Runs one request to completion through input_required results: each
 * embedded request (sampling, elicitation, roots) goes to the calling client
 * through `ask`, and the request is sent again with the answers and the
 * upstream's requestState, as the 2026-07-28 multi-round-trip flow has it.
 * The calling client is the one that asked, so nothing here is attributed by
 * guessing; `ask` enforces what the client declared.
 */
export async function completeInputRequired(
  server: string,
  send: (params: Params | undefined) => Promise<Result>,
  params: Params | undefined,
  ask: (method: string, params: unknown) => Promise<Result>,
): Promise<Result> {
  let sent = params;
  for (let round = 0; ; round++) {
    const result = await send(sent);
    if (result.resultType !== 'input_required') return result;
    if (round >= MAX_INPUT_ROUNDS) throw upstreamError(server, `still input_required after ${MAX_INPUT_ROUNDS} rounds`);
    const requests = isObject(result.inputRequests) ? result.inputRequests : {};
    const answers = await Promise.all(
      Object.entries(requests).map(async ([key, req]) => {
        const r = isObject(req) ? req : {};
        if (typeof r.method !== 'string') throw upstreamError(server, `input request "${key}" has no method`);
        return [key, await ask(r.method, r.params)] as const;
      }),
    );
    const { inputResponses: _responses, requestState: _state, ...rest } = sent ?? {};
    sent = {
      ...rest,
      ...(answers.length > 0 ? { inputResponses: Object.fromEntries(answers) } : {}),
      ...(typeof result.requestState === 'string' ? { requestState: result.requestState } : {}),
    };
  }
}

/**
 * resources/subscribe and resources/unsubscribe for a 2026-07-28 upstream,
 * which has neither: one `subscriptions/listen` stream per URI, whose
 * `notifications/resources/updated` reach the SDK client's notification
 * handlers like a 2025 session's would. The hub subscribes once per URI
 * however many clients watch it (hub/subscriptions.ts).
 */
export class ListenSubscriptions {
  private readonly byUri = new Map<string, McpSubscription>();

  constructor(private readonly server: string) {}

  handles(method: string): boolean {
    return method === 'resources/subscribe' || method === 'resources/unsubscribe';
  }

  async request(client: Client, method: string, params: Params | undefined, opts: RequestOptions): Promise<Result> {
    const uri = params?.uri;
    if (typeof uri !== 'string') throw new UpstreamRpcError(this.server, -32602, 'params.uri must be a string');
    if (method === 'resources/unsubscribe') {
      const sub = this.byUri.get(uri);
      this.byUri.delete(uri);
      await sub?.close();
      return {};
    }
    if (this.byUri.has(uri)) return {};
    const sub = await client.listen({ resourceSubscriptions: [uri] }, opts);
    if (!sub.honoredFilter.resourceSubscriptions?.includes(uri)) {
      await sub.close();
      throw new UpstreamRpcError(this.server, -32602, `Upstream "${this.server}" does not honor a subscription to ${uri}`);
    }
    this.byUri.set(uri, sub);
    // A stream the upstream ended is no subscription any more: the next subscribe opens a new one.
    void sub.closed.then(() => {
      if (this.byUri.get(uri) === sub) this.byUri.delete(uri);
    });
    return {};
  }

  /** The connection is gone: its streams with it. */
  closeAll(): void {
    const subs = [...this.byUri.values()];
    this.byUri.clear();
    for (const sub of subs) void sub.close().catch(() => undefined);
  }
}

type Notify = (method: string, params: unknown) => void;

/**
 * In-call notifications (log messages) of a 2026-07-28 upstream reach the
 * SDK client without saying which call they came with. They go to the
 * caller only when that is unambiguous: exactly one call in flight, and no
 * other call overlapped it. Otherwise they are dropped, never sent to
 * another client (the rule relay-router.ts applies to upstream requests).
 */
export class CallNotifier {
  private readonly calls = new Map<number, { notify: Notify | undefined; mixed: boolean }>();
  private next = 0;

  begin(notify: Notify | undefined): () => void {
    const id = this.next++;
    const call = { notify, mixed: this.calls.size > 0 };
    for (const c of this.calls.values()) c.mixed = true;
    this.calls.set(id, call);
    return () => this.calls.delete(id);
  }

  /** The one caller a notification can belong to, if there is one. */
  target(): Notify | undefined {
    if (this.calls.size !== 1) return undefined;
    const [only] = this.calls.values();
    return only!.mixed ? undefined : only!.notify;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
