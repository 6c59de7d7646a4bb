// `--config-from-env`: the config from HATAGO_CONFIG (text) or
// HATAGO_CONFIG_FILE, plus the guide's HATAGO_AUTH_* / HATAGO_RATE_LIMIT_*.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encryptConfig } from '../../src/config/encryption/index.js';
import { envConfigSource, withAuthFromEnv } from '../../src/config/from-env.js';
import { loadConfig } from '../../src/config/load-config.js';
import { rejectionOf } from '../helpers/errors.js';

const SECRET = 'a-hatago-test-secret-of-at-least-32-bytes!';

describe('loadConfig({ fromEnv: true })', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'hatago-fromenv-'));

  it('reads HATAGO_CONFIG as JSON text, expands ${VAR} and resolves paths against the working folder', async () => {
    const env = { HATAGO_CONFIG: JSON.stringify({ http: { port: 4100 }, policies: { bundle: 'p/b.tar.gz' }, mcpServers: { r: { url: '${UP_URL}' } } }), UP_URL: 'http://127.0.0.1:9/mcp' };
    const { config, source } = await loadConfig({ fromEnv: true, env, cwd });
    expect(source).toBe('HATAGO_CONFIG');
    expect(config.http.port).toBe(4100);
    expect(config.policies.bundle).toBe(path.join(cwd, 'p', 'b.tar.gz'));
    expect(config.mcpServers.r?.url).toBe('http://127.0.0.1:9/mcp');
    expect(config.security.authentication?.enabled).toBe(false);
  });

  it('reads HATAGO_CONFIG_FILE like --config, relative to the working folder', async () => {
    writeFileSync(path.join(cwd, 'from-env.json'), JSON.stringify({ http: { port: 4200 } }));
    const { config, source } = await loadConfig({ fromEnv: true, env: { HATAGO_CONFIG_FILE: 'from-env.json' }, cwd });
    expect(source).toBe(path.join(cwd, 'from-env.json'));
    expect(config.http.port).toBe(4200);
  });

  it('decrypts an encrypted HATAGO_CONFIG_FILE or HATAGO_CONFIG with HATAGO_CONFIG_KEY', async () => {
    const sealed = encryptConfig(JSON.stringify({ http: { port: 4300 } }), 'deployment passphrase');
    writeFileSync(path.join(cwd, 'sealed.json'), sealed);
    const byFile = await loadConfig({ fromEnv: true, env: { HATAGO_CONFIG_FILE: 'sealed.json', HATAGO_CONFIG_KEY: 'deployment passphrase' }, cwd });
    expect(byFile.config.http.port).toBe(4300);
    const byText = await loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: sealed, HATAGO_CONFIG_KEY: 'deployment passphrase' }, cwd });
    expect(byText.config.http.port).toBe(4300);
    expect((await rejectionOf(loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: sealed }, cwd }))).code).toBe('ERR_CONFIG_KEY_MISSING');
  });

  it('is a clear error when nothing is set', async () => {
    const err = await rejectionOf(loadConfig({ fromEnv: true, env: {}, cwd }));
    expect(err.code).toBe('ERR_CONFIG_FROM_ENV');
    expect(err.message).toContain('HATAGO_CONFIG');
    expect(err.message).toContain('HATAGO_CONFIG_FILE');
  });

  it('refuses both HATAGO_CONFIG and HATAGO_CONFIG_FILE, and --config with it', async () => {
    expect((await rejectionOf(loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: '{}', HATAGO_CONFIG_FILE: 'x.json' }, cwd }))).code).toBe('ERR_CONFIG_FROM_ENV');
    expect((await rejectionOf(loadConfig({ fromEnv: true, path: 'x.json', env: { HATAGO_CONFIG: '{}' }, cwd }))).code).toBe('ERR_CONFIG_FROM_ENV');
  });

  it('names a missing HATAGO_CONFIG_FILE', async () => {
    const err = await rejectionOf(loadConfig({ fromEnv: true, env: { HATAGO_CONFIG_FILE: 'nope.json' }, cwd }));
    expect(err.code).toBe('ERR_CONFIG_NOT_FOUND');
    expect(err.message).toContain('HATAGO_CONFIG_FILE');
  });

  it('validates HATAGO_CONFIG like a file, without quoting its text', async () => {
    const bad = await rejectionOf(loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: JSON.stringify({ http: { prot: 1 } }) }, cwd }));
    expect(bad.code).toBe('ERR_CONFIG_INVALID');
    expect(bad.message).toContain('/http/prot: unknown key "prot"');
    const notJson = await rejectionOf(loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: '{"secret": "hunter2-in-env" oops' }, cwd }));
    expect(notJson.code).toBe('ERR_CONFIG_INVALID');
    expect(notJson.message).not.toContain('hunter2');
  });

  it('uses the embedded default when only the guide variables are set, with authentication on for a key variable', async () => {
    const auth = await loadConfig({ fromEnv: true, env: { HATAGO_AUTH_SECRET: SECRET }, cwd });
    expect(auth.source).toBe('embedded+env');
    expect(Object.keys(auth.config.mcpServers)).toEqual(['demo']);
    expect(auth.config.security.authentication).toEqual({ enabled: true, type: 'jwt' });
    // The secret stays in the environment (read by src/auth/options.ts), never copied into the config.
    expect(JSON.stringify(auth.config)).not.toContain(SECRET);

    const limits = await loadConfig({ fromEnv: true, env: { HATAGO_RATE_LIMIT_MAX: '10' }, cwd });
    expect(limits.source).toBe('embedded+env');
    expect(limits.config.security.authentication?.enabled).toBe(false);
  });

  it('turns authentication on for a key variable only when the config has no authentication section', async () => {
    const none = await loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: '{"security":{"authorization":{"enabled":true}}}', HATAGO_AUTH_SECRET: SECRET }, cwd });
    expect(none.config.security.authentication).toEqual({ enabled: true, type: 'jwt' });
    expect(none.config.security.authorization?.enabled).toBe(true);
    const off = await loadConfig({ fromEnv: true, env: { HATAGO_CONFIG: '{"security":{"authentication":{"enabled":false}}}', HATAGO_AUTH_SECRET: SECRET }, cwd });
    expect(off.config.security.authentication?.enabled).toBe(false);
  });
});

describe('envConfigSource / withAuthFromEnv', () => {
  it('treats blank variables as unset', () => {
    expect(() => envConfigSource({ HATAGO_CONFIG: '  ', HATAGO_CONFIG_FILE: '' })).toThrow(/nothing is set/);
    expect(envConfigSource({ HATAGO_CONFIG: '{}', HATAGO_CONFIG_FILE: ' ' })).toEqual({ kind: 'text', text: '{}', source: 'HATAGO_CONFIG' });
  });

  it('leaves a config alone without a key variable, and never mutates its argument', () => {
    const c = { security: {} };
    expect(withAuthFromEnv(c, { HATAGO_AUTH_ISSUER: 'x' })).toBe(c);
    const out = withAuthFromEnv(c, { HATAGO_AUTH_PUBLIC_KEY_PATH: '/k.pem' });
    expect(out).toEqual({ security: { authentication: { enabled: true, type: 'jwt' } } });
    expect(c).toEqual({ security: {} });
  });
});
