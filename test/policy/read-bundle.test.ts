import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { HatagoError } from '../../src/errors/index.js';
import { readBundle, type BundleLimits } from '../../src/policy/index.js';
import { buildFixture, makeTarGz, tempDir, type TarEntry } from './helpers.js';

const tmp = tempDir();
let real: Buffer;
beforeAll(() => {
  real = readFileSync(buildFixture('basic', tmp.path));
});
afterAll(() => tmp.cleanup());

const manifest = { path: '/.manifest', body: '{"revision":"r1"}' };
const wasm = { path: '/policy.wasm', body: '\0asm' };

function reasonOf(buf: Buffer, limits?: BundleLimits): string {
  try {
    readBundle(buf, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_BUNDLE_INVALID');
    return String((err as HatagoError).data?.reason);
  }
  throw new Error('expected ERR_BUNDLE_INVALID');
}

describe('readBundle', () => {
  it('takes apart a bundle built by opa build', () => {
    const b = readBundle(real);
    expect(b.manifest.revision).toMatch(/^sha256:/);
    expect(b.manifest.wasm).toEqual([{ entrypoint: 'hatago/decision', module: '/policy.wasm' }]);
    expect(b.data).toEqual({ tiers: { gold: 100 } });
    expect(Buffer.from(b.wasm.subarray(0, 4)).toString('latin1')).toBe('\0asm');
    expect(b.signatures).toBeUndefined();
    expect(b.files.has('hatago/decision.rego')).toBe(true);
  });

  it('reads .signatures.json when present and defaults data to {}', () => {
    const b = readBundle(makeTarGz([manifest, wasm, { path: '/.signatures.json', body: '{"signatures":["x.y.z"]}' }]));
    expect(b.signatures).toEqual({ signatures: ['x.y.z'] });
    expect(b.data).toEqual({});
  });

  it.each<[string, TarEntry[], string]>([
    ['a ".." path', [manifest, wasm, { path: '../evil.json', body: '{}' }], 'unsafe path'],
    ['a ".." segment inside', [manifest, wasm, { path: '/a/../../evil', body: 'x' }], 'unsafe path'],
    ['a backslash path', [manifest, wasm, { path: '..\\evil', body: 'x' }], 'unsafe path'],
    ['a duplicate name', [manifest, wasm, { path: 'policy.wasm', body: '\0asm' }], 'duplicate'],
    ['a symlink', [manifest, wasm, { path: '/link', type: 'SymbolicLink', linkpath: '/etc/passwd' }], 'unsupported entry type'],
    ['a hard link', [manifest, wasm, { path: '/hard', type: 'Link', linkpath: 'policy.wasm' }], 'unsupported entry type'],
    ['no .manifest', [wasm], 'no .manifest'],
    ['no policy.wasm', [manifest], 'policy.wasm'],
    ['two wasm modules', [manifest, wasm, { path: '/other.wasm', body: '\0asm' }], 'policy.wasm'],
    ['bad data.json', [manifest, wasm, { path: '/data.json', body: '{nope' }], 'data.json is not valid JSON'],
    ['data.json not an object', [manifest, wasm, { path: '/data.json', body: '[1]' }], 'not a JSON object'],
    ['a nested data file', [manifest, wasm, { path: '/x/data.json', body: '{}' }], 'unsupported data files'],
    ['a manifest revision that is not a string', [{ path: '/.manifest', body: '{"revision":1}' }, wasm], 'revision'],
  ])('rejects %s', (_what, entries, reason) => {
    expect(reasonOf(makeTarGz(entries))).toContain(reason);
  });

  it('rejects what is not gzip, and gzip that is not tar', () => {
    expect(reasonOf(Buffer.from('plain text'))).toContain('not gzip');
    expect(reasonOf(gzipSync(Buffer.alloc(2048, 7)))).toContain('not a tar archive');
  });

  it('enforces the size and entry limits', () => {
    const limits = { maxCompressedBytes: 1 << 20, maxUncompressedBytes: 1 << 20, maxEntries: 100 };
    expect(reasonOf(real, { ...limits, maxCompressedBytes: 100 })).toContain('byte limit');
    // A decompression bomb: tiny compressed, large expanded.
    const bomb = makeTarGz([manifest, wasm, { path: '/big', body: Buffer.alloc(4 << 20) }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(reasonOf(bomb, limits)).toContain('does not gunzip');
    const many = Array.from({ length: 101 }, (_, i) => ({ path: `/f${i}`, body: 'x' }));
    expect(reasonOf(makeTarGz([manifest, wasm, ...many]), limits)).toContain('entries');
  });
});
