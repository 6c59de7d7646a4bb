// The SDK transports' fetch, with the upstream's answer bounds
// (maxResponseBytes) applied as the bytes arrive: catalog listings,
// 2026-07-28 calls, legacy SSE and the standing GET stream take this path,
// not the fast one. An answer to a POST that passes the bound is cut off and
// replaced by a JSON-RPC error for that request (data.reason
// "response_too_large"), so only that call fails; an event of a standing
// stream that passes it ends the stream (the client reconnects).

import { ERROR_CODES } from '../errors/index.js';
import { RESPONSE_TOO_LARGE, type ResponseLimits } from './response-limits.js';
import { traceHeaders } from './call-context.js';

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

const LF = 10;
const CR = 13;

/** The JSON-RPC id of the request a POST carries, if it carries one. */
function requestIdOf(init: RequestInit | undefined): string | number | undefined {
  if (typeof init?.body !== 'string') return undefined;
  try {
    const m = JSON.parse(init.body) as { id?: unknown; method?: unknown };
    return typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : undefined;
  } catch {
    return undefined;
  }
}

function tooLargeAnswer(id: string | number, limits: ResponseLimits): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: { code: ERROR_CODES.ERR_UPSTREAM_ERROR.rpc, message: 'Upstream answer too large', data: { reason: RESPONSE_TOO_LARGE, maxResponseBytes: limits.maxResponseBytes } },
  });
}

export function boundedFetch(limits: ResponseLimits, base: Fetch = fetch): Fetch {
  const max = limits.maxResponseBytes;
  return async (url, input) => {
    // Inside a traced call, the request carries the calling span's traceparent (call-context.ts).
    const trace = traceHeaders();
    let init = input;
    if (trace.traceparent !== undefined) {
      const headers = new Headers(input?.headers);
      for (const [k, v] of Object.entries(trace)) headers.set(k, v);
      init = { ...input, headers };
    }
    const res = await base(url, init);
    if (!res.body) return res;
    const id = requestIdOf(init);
    const sse = (res.headers.get('content-type') ?? '').toLowerCase().includes('text/event-stream');
    // A standing stream (GET) is bounded per event; an answer to one POST in all.
    const standing = (init?.method ?? 'GET').toUpperCase() === 'GET';
    const reader = res.body.getReader();
    const encoder = new TextEncoder();
    let total = 0;
    let sinceEvent = 0;
    let lineLength = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let next;
        try {
          next = await reader.read();
        } catch (err) {
          controller.error(err);
          return;
        }
        if (next.done) return controller.close();
        const chunk = next.value;
        total += chunk.byteLength;
        let over = !standing && total > max;
        if (sse && !over) {
          // Bytes since the blank line that ended the last event (linear: LF positions found natively).
          let pos = 0;
          for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, pos)) {
            const len = lineLength + (lf - pos) - (lf > pos && chunk[lf - 1] === CR ? 1 : 0);
            sinceEvent = len === 0 ? 0 : sinceEvent + (lf - pos) + 1;
            lineLength = 0;
            pos = lf + 1;
          }
          lineLength += chunk.byteLength - pos;
          sinceEvent += chunk.byteLength - pos;
          over = sinceEvent > max;
        }
        if (!over) return controller.enqueue(chunk);
        void reader.cancel().catch(() => undefined); // drops the connection
        if (standing || id === undefined) return controller.error(new Error(`upstream stream passed ${max} bytes in one event`));
        // The answer the request gets instead: a JSON-RPC error that fails that call alone.
        const answer = tooLargeAnswer(id, limits);
        controller.enqueue(encoder.encode(sse ? `\n\nevent: message\ndata: ${answer}\n\n` : ''));
        controller.close();
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    if (!sse && !standing && id !== undefined) {
      // A JSON answer is read whole by the SDK anyway: read it here, within the bound.
      const bytes = await new Response(body).arrayBuffer().catch(() => null);
      const text = bytes === null || total > max ? tooLargeAnswer(id, limits) : new TextDecoder().decode(bytes);
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
