// Bundles signed by the real OPA CLI (`opa build --bundle --signing-key`),
// verified with jose as OPA verifies them, then altered in every way.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HatagoError } from '../../../src/errors/index.js';
import { opaCanonicalJson } from '../../../src/policy/bundle/canonical-json.js';
import { prepareVerificationKeys, type BundleVerificationConfig } from '../../../src/policy/bundle/verification-keys.js';
import { verifyBundleSignatures, type SignatureCheck } from '../../../src/policy/bundle/verify-signatures.js';
import { readBundle } from '../../../src/policy/index.js';
import { tempDir } from '../helpers.js';
import { fixtureCopy, keyPair, opaBuild, repack, type KeyPairFiles } from './helpers.js';

const tmp = tempDir('hatago-signatures-');
afterAll(() => tmp.cleanup());

const SECRET = 'hs-secret-of-the-security-team';
let rsa: KeyPairFiles;
let rsa2: KeyPairFiles;
let ec256: KeyPairFiles;
let ec384: KeyPairFiles;
let src: string;
/** Signed bundles by name. */
const b: Record<string, string> = {};

const files = (file: string): ReadonlyMap<string, Uint8Array> => readBundle(readFileSync(file)).files;
const out = (name: string): string => join(tmp.path, `${name}.tar.gz`);

async function verify(file: string, config: BundleVerificationConfig) {
  return verifyBundleSignatures(files(file), prepareVerificationKeys(config));
}

async function failure(file: string, config: BundleVerificationConfig): Promise<{ check: SignatureCheck; reason: string }> {
  const err = await verify(file, config).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HatagoError);
  expect((err as HatagoError).code).toBe('ERR_BUNDLE_SIGNATURE');
  const data = (err as HatagoError).data as { check: SignatureCheck; reason: string };
  return data;
}

const hsKeys = (extra: Partial<BundleVerificationConfig> = {}): BundleVerificationConfig => ({ keys: { default: { algorithm: 'HS256', key: SECRET } }, ...extra });
const rsKeys = (extra: Partial<BundleVerificationConfig> = {}): BundleVerificationConfig => ({ keys: { prod: { algorithm: 'RS256', key: rsa.publicPem } }, ...extra });

beforeAll(() => {
  rsa = keyPair(tmp.path, 'rsa', 'rsa');
  rsa2 = keyPair(tmp.path, 'rsa2', 'rsa');
  ec256 = keyPair(tmp.path, 'ec256', { curve: 'P-256' });
  ec384 = keyPair(tmp.path, 'ec384', { curve: 'P-384' });
  src = fixtureCopy('basic', tmp.path);
  // data.json that only canonical hashing gets right: number literals, escapes, HTML characters, U+2028, key order.
  writeFileSync(
    join(src, 'data.json'),
    '{ "tiers": {"gold": 100, "silver": 1.50, "big": 12345678901234567890, "exp": 1E+2, "neg": -0},\n' +
      '  "names": ["<b>&amp;</b>", "tab\\there", "nl\\n", "\\u0001ctl", "é ü 日本", "line\\u2028sep", "quote\\"back\\\\slash", "\\/slash", "emoji 😀"],\n' +
      '  "zeta": {"b": true, "a": null, "ä": 1, "z": 2, "A": 3} }\n',
  );
  b.hs = opaBuild(src, out('hs'), { alg: 'HS256', key: SECRET });
  b.rs = opaBuild(src, out('rs'), { alg: 'RS256', key: rsa.privatePath, claims: { keyid: 'prod', scope: 'write', iss: 'security-team' } });
  b.ps = opaBuild(src, out('ps'), { alg: 'PS256', key: rsa.privatePath, claims: { keyid: 'prod' } });
  b.es256 = opaBuild(src, out('es256'), { alg: 'ES256', key: ec256.privatePath, claims: { keyid: 'ec' } });
  b.es384 = opaBuild(src, out('es384'), { alg: 'ES384', key: ec384.privatePath, claims: { keyid: 'ec' } });
  b.nokid = opaBuild(src, out('nokid'), { alg: 'RS256', key: rsa.privatePath, claims: { iss: 'security-team' } });
  b.unsigned = opaBuild(src, out('unsigned'));
});

describe('bundles signed by opa build verify', () => {
  it('HS256 with the kid header OPA writes ("default")', async () => {
    const r = await verify(b.hs!, hsKeys());
    expect(r).toMatchObject({ signed: true, keyId: 'default', algorithm: 'HS256' });
    expect(r.files.sort()).toEqual(['.manifest', 'data.json', 'hatago/decision.rego', 'policy.wasm']);
  });

  it('RS256 with the keyid and scope claims of a claims file', async () => {
    expect(await verify(b.rs!, rsKeys({ scope: 'write' }))).toMatchObject({ signed: true, keyId: 'prod', scope: 'write' });
  });

  it('PS256, ES256 and ES384', async () => {
    await expect(verify(b.ps!, { keys: { prod: { algorithm: 'PS256', key: rsa.publicPem } } })).resolves.toMatchObject({ signed: true, algorithm: 'PS256' });
    await expect(verify(b.es256!, { keys: { ec: { algorithm: 'ES256', key: ec256.publicPem } } })).resolves.toMatchObject({ signed: true, algorithm: 'ES256' });
    await expect(verify(b.es384!, { keys: { ec: { algorithm: 'ES384', key: ec384.publicPem } } })).resolves.toMatchObject({ signed: true, algorithm: 'ES384' });
  });

  it('takes the key id from config when the token names none', async () => {
    expect((await failure(b.nokid!, rsKeys())).check).toBe('key');
    expect(await verify(b.nokid!, rsKeys({ keyId: 'prod' }))).toMatchObject({ signed: true, keyId: 'prod' });
  });

  it('config keyId wins over the token (as OPA)', async () => {
    const config = { keys: { prod: { algorithm: 'RS256', key: rsa.publicPem }, default: { algorithm: 'HS256', key: SECRET } }, keyId: 'prod' };
    expect((await failure(b.hs!, config)).check).toBe('signature');
  });

  it("hashes data.json as OPA's canonical JSON (literals, escapes, key order)", () => {
    const data = readBundle(readFileSync(b.hs!)).files.get('data.json')!;
    const canonical = opaCanonicalJson(data);
    expect(canonical.startsWith('{"names":["<b>&amp;</b>","tab\\there","nl\\n","\\u0001ctl","é ü 日本","line\\u2028sep"')).toBe(true);
    expect(canonical).toContain('"tiers":{"big":12345678901234567890,"exp":1E+2,"gold":100,"neg":-0,"silver":1.50}');
    expect(canonical).toContain('"zeta":{"A":3,"a":null,"b":true,"z":2,"ä":1}');
  });
});

describe('canonical JSON edge cases (Go encoding/json, SetEscapeHTML(false))', () => {
  const c = (s: string): string => opaCanonicalJson(Buffer.from(s, 'utf8'));
  it('writes Go escapes', () => {
    expect(c('"\\b\\f\\u0000\\u001f\\u007f"')).toBe('"\\b\\f\\u0000\\u001f\u007f"');
    expect(c('"\\ud800x"')).toBe('"\ufffdx"');
    expect(c('"\\u2029"')).toBe('"\\u2029"');
  });
  it('keeps the last of repeated keys and sorts by UTF-8 bytes', () => {
    expect(c('{"a":1,"a":2}')).toBe('{"a":2}');
    expect(c('{"\uff61":1,"\ud83d\ude00":2}')).toBe('{"\uff61":1,"\ud83d\ude00":2}');
  });
  it('refuses what is not one JSON value', () => {
    for (const bad of ['', '{', '{"a":}', '[1,]', '01', '1 2', "'a'", '{"a":1}x']) expect(() => c(bad)).toThrow();
  });
});

describe('altered bundles are rejected', () => {
  it('a file changed (data.json, policy.wasm, a .rego)', async () => {
    const data = repack(b.hs!, out('data-changed'), (es) => es.map((e) => (e.path === '/data.json' ? { ...e, body: Buffer.from(e.body.toString().replace('100', '101')) } : e)));
    expect(await failure(data, hsKeys())).toMatchObject({ check: 'digest' });
    const wasm = repack(b.hs!, out('wasm-changed'), (es) =>
      es.map((e) => (e.path === '/policy.wasm' ? { ...e, body: Buffer.concat([e.body.subarray(0, -1), Buffer.from([e.body.at(-1)! ^ 1])]) } : e)),
    );
    expect(await failure(wasm, hsKeys())).toMatchObject({ check: 'digest' });
    const rego = repack(b.hs!, out('rego-changed'), (es) => es.map((e) => (e.path.endsWith('.rego') ? { ...e, body: Buffer.concat([e.body, Buffer.from('\n')]) } : e)));
    expect(await failure(rego, hsKeys())).toMatchObject({ check: 'digest' });
  });

  it('data.json reformatted without a change of meaning still verifies (canonical hashing)', async () => {
    const pretty = repack(b.hs!, out('data-pretty'), (es) =>
      es.map((e) => {
        if (e.path !== '/data.json') return e;
        // Indent, and move "zeta" first: the value is the same.
        const inner = e.body.toString().trim().slice(1, -1);
        const at = inner.indexOf(',"zeta":');
        expect(at).toBeGreaterThan(0);
        return { ...e, body: Buffer.from(`{\n  ${inner.slice(at + 1)},\n  ${inner.slice(0, at)}\n}\n`) };
      }),
    );
    await expect(verify(pretty, hsKeys())).resolves.toMatchObject({ signed: true });
  });

  it('a file added', async () => {
    const added = repack(b.hs!, out('added'), (es) => [...es, { path: '/hatago/extra.rego', body: Buffer.from('package hatago.extra\n') }]);
    expect(await failure(added, hsKeys())).toMatchObject({ check: 'unsigned-file' });
  });

  it('a file removed', async () => {
    const removed = repack(b.hs!, out('removed'), (es) => es.filter((e) => !e.path.endsWith('.rego')));
    expect(await failure(removed, hsKeys())).toMatchObject({ check: 'missing-file' });
  });

  it('the signature removed while signatures are required', async () => {
    const stripped = repack(b.hs!, out('stripped'), (es) => es.filter((e) => e.path !== '/.signatures.json'));
    expect(await failure(stripped, hsKeys())).toMatchObject({ check: 'missing' });
  });

  it('a signature from another bundle', async () => {
    const other = opaBuild(fixtureCopy('basic', tmp.path), out('other'), { alg: 'HS256', key: SECRET });
    const sig = repack(other, out('other-sig'), (es) => es);
    const otherSig = readBundle(readFileSync(sig)).files.get('.signatures.json')!;
    const swapped = repack(b.hs!, out('swapped'), (es) => es.map((e) => (e.path === '/.signatures.json' ? { ...e, body: Buffer.from(otherSig) } : e)));
    expect(await failure(swapped, hsKeys())).toMatchObject({ check: 'digest' });
  });

  it('two signatures, or an unknown signing plugin', async () => {
    const two = repack(b.hs!, out('two'), (es) =>
      es.map((e) => {
        if (e.path !== '/.signatures.json') return e;
        const doc = JSON.parse(e.body.toString()) as { signatures: string[] };
        return { ...e, body: Buffer.from(JSON.stringify({ signatures: [doc.signatures[0], doc.signatures[0]] })) };
      }),
    );
    expect(await failure(two, hsKeys())).toMatchObject({ check: 'format' });
    const plugin = repack(b.hs!, out('plugin'), (es) =>
      es.map((e) => (e.path === '/.signatures.json' ? { ...e, body: Buffer.from(e.body.toString().replace('"_default"', '"custom"')) } : e)),
    );
    expect(await failure(plugin, hsKeys())).toMatchObject({ check: 'format' });
  });
});

describe('keys, scope and algorithm', () => {
  it('the wrong key: another secret, another RSA key', async () => {
    expect(await failure(b.hs!, { keys: { default: { algorithm: 'HS256', key: 'not-the-secret' } } })).toMatchObject({ check: 'signature' });
    expect(await failure(b.rs!, { keys: { prod: { algorithm: 'RS256', key: rsa2.publicPem } }, scope: 'write' })).toMatchObject({ check: 'signature' });
  });

  it('an unknown key id', async () => {
    expect(await failure(b.rs!, { keys: { other: { algorithm: 'RS256', key: rsa.publicPem } }, scope: 'write' })).toMatchObject({ check: 'key' });
  });

  it('the wrong scope, or a scope where none is configured', async () => {
    expect(await failure(b.rs!, rsKeys({ scope: 'read' }))).toMatchObject({ check: 'scope' });
    expect(await failure(b.rs!, rsKeys())).toMatchObject({ check: 'scope' });
    expect(await failure(b.ps!, { keys: { prod: { algorithm: 'PS256', key: rsa.publicPem } }, scope: 'write' })).toMatchObject({ check: 'scope' });
    // The key's own scope applies when the verification block sets none.
    await expect(verify(b.rs!, { keys: { prod: { algorithm: 'RS256', key: rsa.publicPem, scope: 'write' } } })).resolves.toMatchObject({ signed: true });
  });

  it('the wrong algorithm family or size: the configured algorithm is the only one accepted', async () => {
    // Signed RS256, configured PS256 with the same RSA key: refused.
    expect(await failure(b.rs!, { keys: { prod: { algorithm: 'PS256', key: rsa.publicPem } }, scope: 'write' })).toMatchObject({ check: 'signature' });
    // Signed RS256, configured ES256 under the same key id.
    expect(await failure(b.rs!, { keys: { prod: { algorithm: 'ES256', key: ec256.publicPem } }, scope: 'write' })).toMatchObject({ check: 'signature' });
    // Signed ES384, configured ES256.
    expect(await failure(b.es384!, { keys: { ec: { algorithm: 'ES256', key: ec256.publicPem } } })).toMatchObject({ check: 'signature' });
    // Signed HS256, configured HS512 with the right secret.
    expect(await failure(b.hs!, { keys: { default: { algorithm: 'HS512', key: SECRET } } })).toMatchObject({ check: 'signature' });
  });

  it('refuses keys that do not match their algorithm family at start-up (ERR_CONFIG_INVALID)', () => {
    const bad: BundleVerificationConfig[] = [
      { keys: { k: { algorithm: 'HS256', key: rsa.publicPem } } },
      { keys: { k: { algorithm: 'RS256', key: SECRET } } },
      { keys: { k: { algorithm: 'ES256', key: rsa.publicPem } } },
      { keys: { k: { algorithm: 'ES256', key: ec384.publicPem } } },
      { keys: { k: { algorithm: 'RS256', key: ec256.publicPem } } },
      { keys: { k: { algorithm: 'RS256', key: readFileSync(rsa.privatePath, 'utf8') } } },
      { keys: { k: { algorithm: 'EdDSA', key: SECRET } } },
      { keys: {} },
      { keys: { k: { algorithm: 'HS256', key: SECRET } }, keyId: 'missing' },
    ];
    for (const config of bad) {
      let code: string | undefined;
      try {
        prepareVerificationKeys(config);
      } catch (err) {
        code = (err as HatagoError).code;
      }
      expect(code).toBe('ERR_CONFIG_INVALID');
    }
  });
});

describe('required: true | false', () => {
  it('an unsigned bundle is rejected when required (the default), accepted when not', async () => {
    expect(await failure(b.unsigned!, hsKeys())).toMatchObject({ check: 'missing' });
    expect(await failure(b.unsigned!, hsKeys({ required: true }))).toMatchObject({ check: 'missing' });
    await expect(verify(b.unsigned!, hsKeys({ required: false }))).resolves.toEqual({ signed: false, files: [] });
  });

  it('a present but bad signature is rejected even when not required', async () => {
    const data = repack(b.hs!, out('data-changed-optional'), (es) => es.map((e) => (e.path === '/data.json' ? { ...e, body: Buffer.from('{"tiers":{}}') } : e)));
    expect(await failure(data, hsKeys({ required: false }))).toMatchObject({ check: 'digest' });
    expect(await failure(b.hs!, { keys: { default: { algorithm: 'HS256', key: 'wrong' } }, required: false })).toMatchObject({ check: 'signature' });
  });
});
