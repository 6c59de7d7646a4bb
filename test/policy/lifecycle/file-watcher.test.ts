// BundleFileWatcher on a real folder: in-place writes, renames over the
// file, partial writes, unchanged bytes, and bundles that must be rejected.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareVerificationKeys } from '../../../src/policy/bundle/verification-keys.js';
import { BundleFileWatcher, PolicyStore, type ActivationResult } from '../../../src/policy/lifecycle/index.js';
import { tempDir } from '../helpers.js';
import { buildBundles, Mailbox, recordingSink, SECRET, type Bundles } from './helpers.js';

const tmp = tempDir('hatago-watch-');
let bundles: Bundles;
beforeAll(() => {
  bundles = buildBundles(tmp.path);
});
afterAll(() => tmp.cleanup());

let watcher: BundleFileWatcher | undefined;
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
});

let n = 0;
async function setup(first: Buffer, opts: { verify?: boolean } = {}) {
  const dir = join(tmp.path, `w${n++}`);
  mkdirSync(dir);
  const file = join(dir, 'hatago.tar.gz');
  writeFileSync(file, first);
  const { sink, events } = recordingSink();
  const verification = opts.verify ? prepareVerificationKeys({ keys: { default: { algorithm: 'HS256', key: SECRET } } }) : undefined;
  const store = await PolicyStore.create({ bytes: first, source: `file:${file}` }, { runtimeData: { users: ['alice'] }, events: sink, ...(verification && { verification }) });
  const results = new Mailbox<ActivationResult>();
  watcher = new BundleFileWatcher(file, store, { debounceMs: 30, onResult: results.push });
  watcher.start();
  return { dir, file, store, results, events };
}

/** Writes `bytes` next to the file and renames it over (atomic replace). */
function renameOver(dir: string, file: string, bytes: Buffer): void {
  const tmpFile = join(dir, `.next-${Math.random().toString(36).slice(2)}.tar.gz`);
  writeFileSync(tmpFile, bytes);
  renameSync(tmpFile, file);
}

describe('BundleFileWatcher', () => {
  it('reloads a bundle written in place', async () => {
    const { file, store, results, events } = await setup(bundles.r1);
    writeFileSync(file, bundles.r2);
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r2', previousRevision: 'r1' });
    expect(store.revision).toBe('r2');
    expect(events.map((e) => e.event)).toEqual(['policy_activated']);
    expect(watcher!.status()).toMatchObject({ kind: 'file', watching: true, lastResult: 'activated' });
  });

  it('reloads a bundle renamed over the file, again and again', async () => {
    const { dir, file, store, results } = await setup(bundles.r1);
    renameOver(dir, file, bundles.r2);
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r2' });
    renameOver(dir, file, bundles.r3data);
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r3' });
    renameOver(dir, file, bundles.r1);
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r1' });
    expect(store.revision).toBe('r1');
  });

  it('reloads data.json changes (roles, tiers, ACLs live in data)', async () => {
    const { file, store, results } = await setup(bundles.r1);
    writeFileSync(file, bundles.r3data);
    await results.next();
    expect((store.current().decide({ principal: { sub: 'alice' }, client: { ip: '1.2.3.4' }, candidates: [] }).raw as { tier: number }).tier).toBe(200);
  });

  it('does not reload bytes it has already seen', async () => {
    const { file, store } = await setup(bundles.r1);
    writeFileSync(file, bundles.r1);
    expect(await watcher!.check()).toBeNull();
    expect(store.status().counts).toEqual({ activated: 0, rejected: 0, unchanged: 0 });
  });

  it('ends on the complete bundle after a write in two parts, without counting the half as a rejection', async () => {
    const { file, store, results, events } = await setup(bundles.r1);
    const half = Math.floor(bundles.r2.length / 2);
    writeFileSync(file, bundles.r2.subarray(0, half));
    await new Promise((r) => setTimeout(r, 40)); // the watcher sees the half file hold still
    appendFileSync(file, bundles.r2.subarray(half));
    // The first result the store reports is the activation: the truncated file waited.
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r2', previousRevision: 'r1' });
    expect(store.revision).toBe('r2');
    expect(events.map((e) => e.event)).toEqual(['policy_activated']);
  });

  it('rejects a truncated bundle that stays truncated, after one more quiet period', async () => {
    const { file, store, results, events } = await setup(bundles.r1);
    writeFileSync(file, bundles.r2.subarray(0, Math.floor(bundles.r2.length / 2)));
    expect(await results.next()).toMatchObject({ result: 'rejected', code: 'ERR_BUNDLE_INVALID' });
    expect(store.revision).toBe('r1');
    expect(events.map((e) => e.event)).toEqual(['policy_rejected']);
  });

  const rejected: [string, keyof Bundles, string][] = [
    ['a corrupt archive', 'corrupt', 'ERR_BUNDLE_INVALID'],
    ['a missing entrypoint', 'noEntrypoint', 'ERR_BUNDLE_INVALID'],
    ['wasm that will not instantiate', 'badWasm', 'ERR_BUNDLE_INVALID'],
    ['a failed smoke decision', 'smokeFail', 'ERR_BUNDLE_INVALID'],
  ];
  it.each(rejected)('rejects %s from the file and keeps the old revision, then takes a good one', async (_name, key, code) => {
    const { dir, file, store, results, events } = await setup(bundles.r1);
    renameOver(dir, file, bundles[key]);
    expect(await results.next()).toMatchObject({ result: 'rejected', code });
    expect(store.revision).toBe('r1');
    expect(store.current().decide({ principal: { sub: 'alice' }, client: { ip: '1.2.3.4' }, candidates: [] }).allow).toBe(true);
    renameOver(dir, file, bundles.r2);
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r2', previousRevision: 'r1' });
    expect(events.map((e) => e.event)).toEqual(['policy_rejected', 'policy_activated']);
    expect(events[0]!.metadata).toMatchObject({ code, reason: expect.any(String) });
  });

  it('rejects a bad signature from the file and keeps the signed revision', async () => {
    const { dir, file, store, results } = await setup(bundles.signedR4, { verify: true });
    renameOver(dir, file, bundles.badSignature);
    expect(await results.next()).toMatchObject({ result: 'rejected', code: 'ERR_BUNDLE_SIGNATURE' });
    renameOver(dir, file, bundles.r2); // unsigned while required
    expect(await results.next()).toMatchObject({ result: 'rejected', code: 'ERR_BUNDLE_SIGNATURE' });
    expect(store.revision).toBe('r4');
  });

  it('survives the file disappearing and coming back', async () => {
    const { dir, file, store, results } = await setup(bundles.r1);
    rmSync(file);
    expect(await watcher!.check()).toBeNull();
    expect(store.revision).toBe('r1');
    renameOver(dir, file, bundles.r2);
    expect(await results.next()).toMatchObject({ result: 'activated', revision: 'r2' });
  });

  it('stops watching on stop()', async () => {
    await setup(bundles.r1);
    await watcher!.stop();
    expect(watcher!.status().watching).toBe(false);
  });
});
