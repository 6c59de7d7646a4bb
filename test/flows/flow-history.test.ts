import { describe, expect, it } from '@jest/globals';
import { FlowHistory, historyKey } from '../../src/flows/flow-history.js';
import type { CallerContext } from '../../src/hub/types.js';

const ctx = (over: Partial<CallerContext>): CallerContext => ({ transport: 'http', protocolVersion: '2026-07-28', client: { ip: '10.0.0.1', origin: null, userAgent: null }, principal: null, ...over });
const alice = ctx({ principal: { sub: 'alice', roles: ['user'], claims: {} } });
const session = ctx({ protocolVersion: '2025-11-25', connectionId: 's-1', principal: { sub: 'alice', roles: ['user'], claims: {} } });
const call = (tool: string, labels: string[] = []) => ({ server: 'fx', tool, labels });

describe('FlowHistory', () => {
  it('keys a session by its connection, a stateless caller by its principal, an anonymous one by its address', () => {
    expect(historyKey(session)).toEqual({ key: 'connection:s-1', windowed: false });
    expect(historyKey(alice)).toEqual({ key: 'principal:alice', windowed: true });
    expect(historyKey(ctx({}))).toEqual({ key: 'anonymous:10.0.0.1', windowed: true });
  });

  it('keeps the last N entries, and every label seen after its entry is gone', () => {
    const h = new FlowHistory({ historySize: 2 });
    h.record(session, call('read_file', ['private_read']), 1000);
    h.record(session, call('echo'), 2000);
    h.record(session, call('echo'), 3000);
    expect(h.view(session, 4000)).toEqual({ history: [{ ...call('echo'), at_ns: 2000e6 }, { ...call('echo'), at_ns: 3000e6 }], labels: ['private_read'] });
    // A session and the stateless principal of the same user are apart.
    expect(h.view(alice, 4000)).toEqual({ history: [], labels: [] });
  });

  it('forgets a stateless caller after the window, a session only when it ends', () => {
    const h = new FlowHistory({ windowMs: 1000 });
    h.record(alice, call('read_file', ['private_read']), 0);
    h.record(session, call('read_file', ['private_read']), 0);
    expect(h.view(alice, 999).labels).toEqual(['private_read']);
    expect(h.view(alice, 1001)).toEqual({ history: [], labels: [] });
    expect(h.view(session, 10_000_000).labels).toEqual(['private_read']);
    h.forget('s-1');
    expect(h.view(session, 10_000_000)).toEqual({ history: [], labels: [] });
  });

  it('tracks a bounded number of keys, the least recently used going first', () => {
    const h = new FlowHistory({ maxKeys: 2 });
    const who = (sub: string) => ctx({ principal: { sub, roles: [], claims: {} } });
    h.record(who('a'), call('x', ['l']), 0);
    h.record(who('b'), call('x', ['l']), 0);
    h.view(who('a'), 1); // a is used again: b is now the oldest
    h.record(who('c'), call('x', ['l']), 2);
    expect(h.keyCount).toBe(2);
    expect(h.view(who('b'), 3).labels).toEqual([]);
    expect(h.view(who('a'), 3).labels).toEqual(['l']);
  });

  it('keeps at most 64 distinct labels per key, and always refreshes the ones it has', () => {
    const h = new FlowHistory();
    h.record(session, call('x', Array.from({ length: 70 }, (_, i) => `l${String(i).padStart(2, '0')}`)), 0);
    expect(h.view(session, 1).labels).toHaveLength(64);
  });
});
