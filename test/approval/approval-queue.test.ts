import { describe, expect, it } from '@jest/globals';
import { ApprovalQueue, type PendingApproval } from '../../src/approval/approval-queue.js';
import { HatagoError } from '../../src/errors/index.js';

const item = (requestedBy: string | null): Omit<PendingApproval, 'id' | 'createdAt' | 'expiresAt'> => ({
  decisionId: 'd', revision: null, requestedBy, sessionId: null, method: 'tools/call', server: 'fx', name: 'fx_delete_file',
  reason: 'r', approvers: [], rules: [], channel: 'out_of_band', argumentsDigest: 'sha256:x', arguments: null,
});

describe('ApprovalQueue', () => {
  it('ends each held call once: the first verdict wins, later ones find nothing', async () => {
    const q = new ApprovalQueue();
    const { item: held, verdict } = q.hold(item('u'), 60_000);
    expect(q.list().map((i) => i.id)).toEqual([held.id]);
    expect(q.decide(held.id, { outcome: 'approved', by: 'ops', channel: 'out_of_band' })).toBe(true);
    expect(q.decide(held.id, { outcome: 'denied', by: 'ops', channel: 'out_of_band' })).toBe(false);
    expect(await verdict).toEqual({ outcome: 'approved', by: 'ops', channel: 'out_of_band' });
    expect(q.size).toBe(0);
  });

  it('bounds held calls per principal and in all (ERR_APPROVAL_LIMIT), and frees a place when one ends', () => {
    const q = new ApprovalQueue({ maxPending: 3, maxPerPrincipal: 2 });
    const a1 = q.hold(item('a'), 60_000);
    q.hold(item('a'), 60_000);
    expect(() => q.hold(item('a'), 60_000)).toThrow(expect.objectContaining({ code: 'ERR_APPROVAL_LIMIT' }) as unknown as HatagoError);
    q.hold(item('b'), 60_000);
    expect(() => q.hold(item('c'), 60_000)).toThrow(expect.objectContaining({ code: 'ERR_APPROVAL_LIMIT' }) as unknown as HatagoError);
    q.decide(a1.item.id, { outcome: 'denied', by: null, channel: 'out_of_band' });
    expect(() => q.hold(item('a'), 60_000)).not.toThrow();
    q.close();
    expect(q.size).toBe(0);
  });

  it('a cancelled request withdraws its held call', async () => {
    const q = new ApprovalQueue();
    const ac = new AbortController();
    const { verdict } = q.hold(item('u'), 60_000, ac.signal);
    ac.abort();
    expect(await verdict).toEqual({ outcome: 'withdrawn', by: null, channel: null });
    expect(q.list()).toEqual([]);
  });

  it('times out', async () => {
    const q = new ApprovalQueue();
    expect(await q.hold(item('u'), 5).verdict).toEqual({ outcome: 'timeout', by: null, channel: null });
  });

  it('tells listeners when a call is held and when it ends, once each; a listener that throws changes no verdict', async () => {
    const q = new ApprovalQueue();
    const seen: string[] = [];
    q.onChange(() => {
      throw new Error('a broken listener');
    });
    const stop = q.onChange((c) => seen.push(`${c.event}:${c.item.id}:${c.event === 'ended' ? c.outcome : q.size}`));
    const a = q.hold(item('u'), 60_000);
    const b = q.hold(item('u'), 5);
    q.decide(a.item.id, { outcome: 'approved', by: 'ops', channel: 'out_of_band' });
    q.decide(a.item.id, { outcome: 'denied', by: 'ops', channel: 'out_of_band' });
    expect(await a.verdict).toMatchObject({ outcome: 'approved' });
    expect(await b.verdict).toMatchObject({ outcome: 'timeout' });
    expect(seen).toEqual([`held:${a.item.id}:1`, `held:${b.item.id}:2`, `ended:${a.item.id}:approved`, `ended:${b.item.id}:timeout`]);
    stop();
    q.hold(item('u'), 60_000);
    q.close();
    expect(seen).toHaveLength(4);
  });
});
