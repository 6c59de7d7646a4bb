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
 * which has neither: one `subscriptions/listen` stream per upstream whose
 * filter names every subscribed URI. Its `notifications/resources/updated`
 * reach the SDK client's notification handlers like a 2025 session's would.
 * A change of the URI set opens the stream for the new set first and closes
 * the old one after (an update in between may arrive twice, none is lost),
 * so at most two streams are open to the upstream however many URIs are
 * watched. Changes run one at a time. The hub asks once per URI however
 * many clients watch it (hub/subscriptions.ts).
 */
export class ListenSubscriptions {
  private uris = new Set<string>();
  private current: McpSubscription | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly server: string) {}

  handles(method: string): boolean {
    return method === 'resources/subscribe' || method === 'resources/unsubscribe';
  }

  request(client: Client, method: string, params: Params | undefined, opts: RequestOptions): Promise<Result> {
    const uri = params?.uri;
    if (typeof uri !== 'string') return Promise.reject(new UpstreamRpcError(this.server, -32602, 'params.uri must be a string'));
    const next = this.chain.then(() => (method === 'resources/subscribe' ? this.add(client, uri, opts) : this.remove(client, uri, opts)));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async add(client: Client, uri: string, opts: RequestOptions): Promise<Result> {
    if (this.uris.has(uri) && this.current !== undefined) return {};
    const wanted = new Set(this.uris).add(uri);
    const sub = await client.listen({ resourceSubscriptions: [...wanted] }, opts);
    if (!sub.honoredFilter.resourceSubscriptions?.includes(uri)) {
      await sub.close();
      throw new UpstreamRpcError(this.server, -32602, `Upstream "${this.server}" does not honor a subscription to ${uri}`);
    }
    await this.swap(sub, new Set(sub.honoredFilter.resourceSubscriptions));
    return {};
  }

  private async remove(client: Client, uri: string, opts: RequestOptions): Promise<Result> {
    if (!this.uris.has(uri)) return {};
    const wanted = new Set(this.uris);
    wanted.delete(uri);
    await this.swap(wanted.size === 0 ? undefined : await client.listen({ resourceSubscriptions: [...wanted] }, opts), wanted);
    return {};
  }

  private async swap(sub: McpSubscription | undefined, uris: Set<string>): Promise<void> {
    const old = this.current;
    this.current = sub;
    this.uris = uris;
    // A stream the upstream ended carries nothing any more: the next change opens a new one for the whole set.
    if (sub) {
      void sub.closed.then(() => {
        if (this.current === sub) this.current = undefined;
      });
    }
    await old?.close();
  }

  /** The connection is gone: its stream with it (subscribers subscribe again on the new one). */
  closeAll(): void {
    const old = this.current;
    this.current = undefined;
    this.uris = new Set();
    void old?.close().catch(() => undefined);
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
