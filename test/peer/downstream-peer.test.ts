// The one downstream peer: relayed requests fail closed without the
// capability or an open channel, are bounded, cancelled with their call,
// and answered by the client's response; in-flight requests are cancellable.
import { HatagoError } from '../../src/errors/index.js';
import { ClientRpcError } from '../../src/hub/client-rpc-error.js';
import { DownstreamPeer, type PeerChannel } from '../../src/peer/downstream-peer.js';

function channel(): PeerChannel & { sent: Record<string, unknown>[]; isOpen: boolean } {
  const c = { isOpen: true, sent: [] as Record<string, unknown>[], send: (m: Record<string, unknown>) => void c.sent.push(m) };
  return c;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof HatagoError)) throw new Error(`expected a HatagoError, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

describe('DownstreamPeer relays', () => {
  it('refuses a method whose capability the client did not declare, and when nothing is open', async () => {
    const peer = new DownstreamPeer();
    const ch = channel();
    expect(await failure(peer.relay(() => ch).request('sampling/createMessage', {}))).toEqual({ code: 'ERR_CLIENT_CAPABILITY', message: 'The client did not declare the "sampling" capability' });
    peer.clientCapabilities = { sampling: {} };
    ch.isOpen = false;
    expect(await failure(peer.relay(() => ch).request('sampling/createMessage', {}))).toEqual({ code: 'ERR_CLIENT_CAPABILITY', message: 'No open stream to the client for this request' });
    expect(ch.sent).toEqual([]);
  });

  it('matches the client\'s answer and error to the request, by id', async () => {
    const peer = new DownstreamPeer();
    peer.clientCapabilities = { sampling: {}, roots: {} };
    const ch = channel();
    const relay = peer.relay(() => ch);
    const a = relay.request('sampling/createMessage', { messages: [] });
    const b = relay.request('roots/list', undefined);
    expect(ch.sent).toEqual([
      { jsonrpc: '2.0', id: 'hatago-1', method: 'sampling/createMessage', params: { messages: [] } },
      { jsonrpc: '2.0', id: 'hatago-2', method: 'roots/list' },
    ]);
    peer.resolveResponse({ jsonrpc: '2.0', id: 'hatago-2', error: { code: -32601, message: 'no roots' } });
    peer.resolveResponse({ jsonrpc: '2.0', id: 'hatago-1', result: { content: { type: 'text', text: 'hi' } } });
    peer.resolveResponse({ jsonrpc: '2.0', id: 'hatago-1', result: { late: true } }); // answered already: ignored
    await expect(a).resolves.toEqual({ content: { type: 'text', text: 'hi' } });
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientRpcError);
    expect((err as ClientRpcError).code).toBe(-32601);
  });

  it('holds at most 64 requests waiting for the client; more are refused at once', async () => {
    const peer = new DownstreamPeer();
    peer.clientCapabilities = { elicitation: {} };
    const ch = channel();
    const relay = peer.relay(() => ch);
    const waiting = Array.from({ length: 64 }, () => relay.request('elicitation/create', {}).catch((e: unknown) => e));
    expect(await failure(relay.request('elicitation/create', {}))).toEqual({ code: 'ERR_CLIENT_CAPABILITY', message: 'Too many requests are waiting for this client' });
    expect(ch.sent).toHaveLength(64);
    peer.close('test over');
    for (const e of await Promise.all(waiting)) expect((e as HatagoError).code).toBe('ERR_SESSION_NOT_FOUND');
  });

  it('a relayed request whose call is cancelled is cancelled at the client too', async () => {
    const peer = new DownstreamPeer();
    peer.clientCapabilities = { sampling: {} };
    const ch = channel();
    const ac = new AbortController();
    const p = peer.relay(() => ch).request('sampling/createMessage', {}, ac.signal);
    ac.abort('upstream gave up');
    await expect(p).rejects.toBe('upstream gave up');
    expect(ch.sent[1]).toEqual({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'hatago-1', reason: 'upstream cancelled' } });
  });
});

describe('DownstreamPeer.serve and a client that goes away', () => {
  // The hub as serve sees it: a handler that waits until its request is aborted.
  const waitingHub = {
    handle: (_req: unknown, ctx: { signal?: AbortSignal }) =>
      new Promise((_resolve, reject) => {
        if (ctx.signal?.aborted) return reject(new Error(`aborted: ${String(ctx.signal.reason)}`));
        ctx.signal?.addEventListener('abort', () => reject(new Error(`aborted: ${String(ctx.signal?.reason)}`)));
      }),
  };
  const base = { transport: 'http', protocolVersion: '2025-11-25', client: { ip: null, origin: null, userAgent: null }, principal: null } as never;

  it('a carrier that says at once that its client is gone aborts the request before it runs, and frees its id', async () => {
    const peer = new DownstreamPeer();
    const served = peer.serve(waitingHub as never, { method: 'tools/call', params: {}, id: 1 }, base, undefined, undefined, (abort) => abort('client went away'));
    await expect(served).rejects.toThrow('aborted: client went away');
    expect(peer.inflightCount).toBe(0);
  });

  it('one that says so later aborts the running request; a carrier that throws frees the id too', async () => {
    const peer = new DownstreamPeer();
    let gone!: (reason: string) => void;
    const served = peer.serve(waitingHub as never, { method: 'tools/call', params: {}, id: 2 }, base, undefined, undefined, (abort) => (gone = abort));
    expect(peer.inflightCount).toBe(1);
    gone('client went away');
    await expect(served).rejects.toThrow('aborted: client went away');
    const broken = peer.serve(waitingHub as never, { method: 'tools/call', params: {}, id: 3 }, base, undefined, undefined, () => {
      throw new Error('carrier failed');
    });
    await expect(broken).rejects.toThrow('carrier failed');
    expect(peer.inflightCount).toBe(0);
  });
});
