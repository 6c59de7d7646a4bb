// PolicyStore: build beside the active policy, swap one reference, keep the
// last good policy on any failure, and report it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { prepareVerificationKeys } from '../../../src/policy/bundle/verification-keys.js';
import { PolicyStore } from '../../../src/policy/lifecycle/index.js';
import { tempDir } from '../helpers.js';
import { buildBundles, recordingSink, SECRET, type Bundles } from './helpers.js';

const tmp = tempDir('hatago-store-');
let bundles: Bundles;
beforeAll(() => {
  bundles = buildBundles(tmp.path);
});
afterAll(() => tmp.cleanup());

const runtimeData = { users: ['alice'] };
const input = { principal: { sub: 'alice' }, client: { ip: '10.0.0.1' }, candidates: ['a_one', 'b_two'] };
const tierOf = (store: PolicyStore): unknown => (store.current().decide(input).raw as { tier?: unknown }).tier;

async function reloadsTotal(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('hatago_policy_reloads_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
}

describe('PolicyStore', () => {
  it('tells activation listeners about the new engine, and only on activation', async () => {
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { runtimeData });
    const seen: string[] = [];
    const off = store.onActivated((engine) => seen.push(engine.revision));
    store.onActivated(() => {
      throw new Error('a failing listener changes nothing');
    });
    await store.activate({ bytes: bundles.r1, source: 'a' }); // unchanged
    await store.activate({ bytes: Buffer.from('not a bundle'), source: 'bad' }); // rejected
    await store.activate({ bytes: bundles.r2, source: 'b' });
    expect(seen).toEqual(['r2']);
    expect(store.revision).toBe('r2');
    off();
    await store.activate({ bytes: bundles.r1, source: 'a' });
    expect(seen).toEqual(['r2']);
  });

  it('activates a bundle with everything derived from it, or not at all', async () => {
    const { sink, events } = recordingSink();
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { runtimeData, events: sink });
    const installed: string[] = [];
    // What a derivation computes from each candidate (e.g. the breaker table); r2's cannot be derived.
    store.derive({
      prepare: (engine) => {
        if (engine.revision === 'r2') throw new Error('breaker_table: servers.fs.rule is not an object');
        return `table of ${engine.revision}`;
      },
      apply: (table) => installed.push(table),
    });
    const rejected = await store.activate({ bytes: bundles.r2, source: 'b' });
    expect(rejected).toMatchObject({ result: 'rejected', reason: expect.stringContaining('breaker_table') });
    expect(store.revision).toBe('r1');
    expect(installed).toEqual([]);
    expect(events.map((e) => e.event)).toEqual(['policy_rejected']);
    const ok = await store.activate({ bytes: bundles.r3data, source: 'c' });
    expect(ok).toMatchObject({ result: 'activated', revision: 'r3' });
    expect(installed).toEqual(['table of r3']);
  });

  it('activates a new bundle with one swap and reports old and new revision', async () => {
    const { sink, events } = recordingSink();
    const registry = new Registry();
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'test:r1' }, { runtimeData, events: sink, registry });
    expect(store.revision).toBe('r1');
    const before = store.current();

    const result = await store.activate({ bytes: bundles.r2, source: 'test:r2' });
    expect(result).toMatchObject({ result: 'activated', revision: 'r2', previousRevision: 'r1' });
    expect(store.current()).not.toBe(before);
    expect(store.current().revision).toBe('r2');
    // A request that read the old policy before the swap finishes on it.
    expect(before.decide(input).allow).toBe(true);
    expect(before.revision).toBe('r1');

    expect(events).toEqual([
      expect.objectContaining({ event: 'policy_activated', revision: 'r2', metadata: expect.objectContaining({ previousRevision: 'r1', revision: 'r2', source: 'test:r2' }) }),
    ]);
    expect(await reloadsTotal(registry)).toEqual({ activated: 1 });
    expect(store.status()).toMatchObject({ revision: 'r2', source: 'test:r2', lastResult: 'activated', lastError: null, counts: { activated: 1, rejected: 0, unchanged: 0 } });
  });

  it('sets the runtime data on the candidate before the swap', async () => {
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { runtimeData });
    await store.activate({ bytes: bundles.r2, source: 'b' });
    expect(store.current().decide(input).allow).toBe(true); // alice is in data.config.users
  });

  it('reloads data.json (a data-only change)', async () => {
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { runtimeData });
    expect(tierOf(store)).toBe(100);
    await store.activate({ bytes: bundles.r3data, source: 'b' });
    expect(tierOf(store)).toBe(200);
  });

  it('does nothing for the bytes already active', async () => {
    const { sink, events } = recordingSink();
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { events: sink });
    const engine = store.current();
    expect(await store.activate({ bytes: Buffer.from(bundles.r1), source: 'a' })).toMatchObject({ result: 'unchanged', revision: 'r1' });
    expect(store.current()).toBe(engine);
    expect(events).toEqual([]);
  });

  const failures: [string, keyof Bundles, string][] = [
    ['a corrupt archive', 'corrupt', 'ERR_BUNDLE_INVALID'],
    ['a truncated archive (a partial write)', 'truncated', 'ERR_BUNDLE_INVALID'],
    ['a missing entrypoint', 'noEntrypoint', 'ERR_BUNDLE_INVALID'],
    ['wasm that will not instantiate', 'badWasm', 'ERR_BUNDLE_INVALID'],
    ['a failed smoke decision', 'smokeFail', 'ERR_BUNDLE_INVALID'],
  ];
  it.each(failures)('rejects %s and keeps the last good policy', async (_name, key, code) => {
    const { sink, events } = recordingSink();
    const registry = new Registry();
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'good' }, { runtimeData, events: sink, registry });
    const good = store.current();
    const result = await store.activate({ bytes: bundles[key], source: `bad:${key}` });
    expect(result).toMatchObject({ result: 'rejected', code });
    expect(store.current()).toBe(good);
    expect(store.current().decide(input).allow).toBe(true);
    expect(events).toEqual([
      expect.objectContaining({ event: 'policy_rejected', level: 'error', revision: 'r1', metadata: expect.objectContaining({ code, source: `bad:${key}`, reason: expect.any(String) }) }),
    ]);
    expect(await reloadsTotal(registry)).toEqual({ rejected: 1 });
    expect(store.status()).toMatchObject({ revision: 'r1', lastResult: 'rejected', lastError: { code, source: `bad:${key}` } });
  });

  it('verifies signatures when configured: rejects unsigned and badly signed bundles, activates a good one', async () => {
    const verification = prepareVerificationKeys({ keys: { default: { algorithm: 'HS256', key: SECRET } } });
    const { sink, events } = recordingSink();
    await expect(PolicyStore.create({ bytes: bundles.r1, source: 'unsigned' }, { verification })).rejects.toMatchObject({ code: 'ERR_BUNDLE_SIGNATURE' });
    const store = await PolicyStore.create({ bytes: bundles.signedR4, source: 'signed' }, { runtimeData, verification, events: sink });
    expect(store.status()).toMatchObject({ revision: 'r4', signed: true });
    expect(await store.activate({ bytes: bundles.badSignature, source: 'tampered' })).toMatchObject({ result: 'rejected', code: 'ERR_BUNDLE_SIGNATURE' });
    expect(await store.activate({ bytes: bundles.r2, source: 'unsigned' })).toMatchObject({ result: 'rejected', code: 'ERR_BUNDLE_SIGNATURE' });
    expect(store.revision).toBe('r4');
    expect(events.map((e) => [e.event, (e.metadata as { code?: string }).code])).toEqual([
      ['policy_rejected', 'ERR_BUNDLE_SIGNATURE'],
      ['policy_rejected', 'ERR_BUNDLE_SIGNATURE'],
    ]);
  });

  it('applies concurrent activations one at a time, in call order', async () => {
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { runtimeData });
    const results = await Promise.all([
      store.activate({ bytes: bundles.r2, source: 'b' }),
      store.activate({ bytes: bundles.corrupt, source: 'c' }),
      store.activate({ bytes: bundles.r3data, source: 'd' }),
    ]);
    expect(results.map((r) => r.result)).toEqual(['activated', 'rejected', 'activated']);
    expect(results[2]).toMatchObject({ previousRevision: 'r2', revision: 'r3' });
    expect(store.revision).toBe('r3');
  });

  it('keeps deciding on the active policy while a candidate loads', async () => {
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { runtimeData });
    const pending = store.activate({ bytes: bundles.r2, source: 'b' });
    // The load is async: requests in the meantime are answered by r1.
    expect(store.current().revision).toBe('r1');
    expect(store.current().decide(input).allow).toBe(true);
    await pending;
    expect(store.current().revision).toBe('r2');
  });

  it('a failing event sink does not undo the swap', async () => {
    const store = await PolicyStore.create({ bytes: bundles.r1, source: 'a' }, { events: async () => Promise.reject(new Error('audit down')) });
    expect(await store.activate({ bytes: bundles.r2, source: 'b' })).toMatchObject({ result: 'activated' });
    expect(store.revision).toBe('r2');
  });
});
