/**
 * Which of the two answer types of a Streamable HTTP POST the client prefers,
 * by content negotiation on its Accept header: the highest q wins, and on a
 * tie the type the client listed first (as express's req.accepts decides).
 * A client that does not list application/json at all, or lists it after
 * text/event-stream, prefers the stream. Undefined: no Accept header.
 */
export function preferredAnswerType(accept: string | null): 'json' | 'sse' | undefined {
  if (accept === null) return undefined;
  let best: { type: 'json' | 'sse'; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const type = range === 'application/json' ? 'json' : range === 'text/event-stream' ? 'sse' : undefined;
    if (type === undefined) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (best === undefined || q > best.q) best = { type, q };
  }
  return best?.type;
}
