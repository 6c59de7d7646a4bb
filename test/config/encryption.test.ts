// Config encryption with real node:crypto: AES-256-GCM under a scrypt key or
// a raw 32-byte key. Every tampering (header, iv, tag, data) must fail.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decryptConfig, encryptConfig, openConfigText, parseEnvelope } from '../../src/config/encryption/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import { rejectionOf, thrownBy } from '../helpers/errors.js';

const PASSPHRASE = 'correct horse battery staple';
const RAW = `base64:${randomBytes(32).toString('base64')}`;
const PLAIN = JSON.stringify({ mcpServers: { up: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer s3cr3t-upstream-token' } } } });

const codeOf = (fn: () => unknown): string => thrownBy(fn).code;

/** Flips one bit of a base64 field. */
function flip(b64: string, at = 0): string {
  const buf = Buffer.from(b64, 'base64');
  buf[at] = buf[at]! ^ 0x01;
  return buf.toString('base64');
}

describe('encryptConfig / decryptConfig', () => {
  const sealed = JSON.parse(encryptConfig(PLAIN, PASSPHRASE)) as Record<string, unknown>;

  it('writes the versioned envelope, with no plaintext in it', () => {
    expect(sealed).toMatchObject({ hatago: 'encrypted-config', v: 1, kdf: 'scrypt', N: 32768, r: 8, p: 1 });
    expect(Object.keys(sealed).sort()).toEqual(['N', 'data', 'hatago', 'iv', 'kdf', 'p', 'r', 'salt', 'tag', 'v']);
    expect(JSON.stringify(sealed)).not.toContain('s3cr3t');
    expect(Buffer.from(sealed.iv as string, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.salt as string, 'base64')).toHaveLength(16);
  });

  it('round-trips with a passphrase', () => {
    expect(decryptConfig(sealed, PASSPHRASE).toString('utf8')).toBe(PLAIN);
  });

  it('uses a fresh salt and iv each time', () => {
    const again = JSON.parse(encryptConfig(PLAIN, PASSPHRASE)) as Record<string, unknown>;
    expect(again.salt).not.toBe(sealed.salt);
    expect(again.iv).not.toBe(sealed.iv);
    expect(again.data).not.toBe(sealed.data);
  });

  it('round-trips with a raw base64 key (kdf "none")', () => {
    const raw = JSON.parse(encryptConfig(PLAIN, RAW)) as Record<string, unknown>;
    expect(raw).toMatchObject({ hatago: 'encrypted-config', v: 1, kdf: 'none' });
    expect(raw.salt).toBeUndefined();
    expect(decryptConfig(raw, RAW).toString('utf8')).toBe(PLAIN);
  });

  it('fails with a wrong key: ERR_CONFIG_DECRYPT', () => {
    expect(codeOf(() => decryptConfig(sealed, 'correct horse battery stapler'))).toBe('ERR_CONFIG_DECRYPT');
    const raw = JSON.parse(encryptConfig(PLAIN, RAW)) as Record<string, unknown>;
    expect(codeOf(() => decryptConfig(raw, `base64:${randomBytes(32).toString('base64')}`))).toBe('ERR_CONFIG_DECRYPT');
  });

  it.each(['data', 'tag', 'iv', 'salt'])('fails when one bit of %s changes', (field) => {
    expect(codeOf(() => decryptConfig({ ...sealed, [field]: flip(sealed[field] as string) }, PASSPHRASE))).toBe('ERR_CONFIG_DECRYPT');
  });

  it('fails when the scrypt parameters are changed (they are authenticated)', () => {
    expect(codeOf(() => decryptConfig({ ...sealed, p: 2 }, PASSPHRASE))).toBe('ERR_CONFIG_DECRYPT');
  });

  it('fails when a raw-key file is relabelled', () => {
    const raw = JSON.parse(encryptConfig(PLAIN, RAW)) as Record<string, unknown>;
    expect(codeOf(() => decryptConfig({ ...raw, kdf: 'scrypt', N: 16384, r: 8, p: 1, salt: randomBytes(16).toString('base64') }, 'a passphrase that is long'))).toBe('ERR_CONFIG_DECRYPT');
  });

  it('names a key of the wrong kind', () => {
    expect(() => decryptConfig(sealed, RAW)).toThrow(/encrypted with a passphrase/);
  });

  it.each([
    ['an unknown version', { v: 2 }],
    ['an unknown kdf', { kdf: 'argon2id' }],
    ['N not a power of two', { N: 30000 }],
    ['scrypt asking for gigabytes', { N: 2 ** 22 }],
    ['a short iv', { iv: randomBytes(8).toString('base64') }],
    ['a missing tag', { tag: undefined }],
  ])('rejects an envelope with %s before any crypto', (_what, change) => {
    expect(() => parseEnvelope({ ...sealed, ...change }, 'x.enc')).toThrow(/x.enc is malformed/);
    expect(codeOf(() => decryptConfig({ ...sealed, ...change }, PASSPHRASE))).toBe('ERR_CONFIG_DECRYPT');
  });

  it('refuses a short passphrase or a malformed raw key when encrypting', () => {
    expect(codeOf(() => encryptConfig(PLAIN, 'short'))).toBe('ERR_CONFIG_KEY_INVALID');
    expect(codeOf(() => encryptConfig(PLAIN, `base64:${randomBytes(16).toString('base64')}`))).toBe('ERR_CONFIG_KEY_INVALID');
    expect(codeOf(() => encryptConfig(PLAIN, 'base64:not base64!'))).toBe('ERR_CONFIG_KEY_INVALID');
  });
});

describe('openConfigText', () => {
  it('passes a plain config through and ignores HATAGO_CONFIG_KEY for it', () => {
    expect(openConfigText('{"a":1}', 'c.json', { fromEnv: PASSPHRASE })).toEqual({ a: 1 });
  });

  it('refuses --decrypt-key with a plain config (an operator mistake)', () => {
    expect(codeOf(() => openConfigText('{"a":1}', 'c.json', { explicit: PASSPHRASE }))).toBe('ERR_CONFIG_DECRYPT');
  });

  it('asks for a key when the config is encrypted and none is given', () => {
    expect(codeOf(() => openConfigText(encryptConfig(PLAIN, PASSPHRASE), 'c.enc'))).toBe('ERR_CONFIG_KEY_MISSING');
  });

  it('prefers --decrypt-key over HATAGO_CONFIG_KEY', () => {
    const text = encryptConfig(PLAIN, PASSPHRASE);
    expect(openConfigText(text, 'c.enc', { explicit: PASSPHRASE, fromEnv: 'some other passphrase' })).toEqual(JSON.parse(PLAIN));
  });

  it('keeps decrypted text out of a JSON error', () => {
    const text = encryptConfig('{"secret": "hunter2-very-secret" oops', PASSPHRASE);
    const err = thrownBy(() => openConfigText(text, 'c.enc', { explicit: PASSPHRASE }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).not.toContain('hunter2');
  });
});

describe('loadConfig with an encrypted file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-enc-'));
  const file = path.join(dir, 'config.encrypted');
  writeFileSync(file, encryptConfig(JSON.stringify({ http: { port: '${ENC_PORT}' }, policies: { bundle: 'b.tar.gz' } }), PASSPHRASE));

  it('validates the decrypted config after ${VAR} expansion', async () => {
    // port is a string after expansion: the schema must then say so, proving validation ran after decryption.
    const err = await rejectionOf(loadConfig({ path: file, decryptKey: PASSPHRASE, env: { ENC_PORT: '4000' } }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('/http/port: must be integer');
  });

  it('loads with the key from HATAGO_CONFIG_KEY', async () => {
    const ok = path.join(dir, 'ok.encrypted');
    writeFileSync(ok, encryptConfig(JSON.stringify({ http: { host: '${ENC_HOST:-127.0.0.1}', port: 4000 }, policies: { bundle: 'b.tar.gz' } }), PASSPHRASE));
    const { config, source } = await loadConfig({ path: ok, env: { HATAGO_CONFIG_KEY: PASSPHRASE } });
    expect(source).toBe(ok);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(config.policies.bundle).toBe(path.join(dir, 'b.tar.gz'));
  });

  it('fails with the right codes for no key and a wrong key', async () => {
    expect((await rejectionOf(loadConfig({ path: file, env: {} }))).code).toBe('ERR_CONFIG_KEY_MISSING');
    expect((await rejectionOf(loadConfig({ path: file, decryptKey: 'not the passphrase', env: {} }))).code).toBe('ERR_CONFIG_DECRYPT');
  });
});
