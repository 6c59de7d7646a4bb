import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, DEFAULT_BUNDLE_PATH } from '../../src/config/index.js';
import { rejectionOf } from '../helpers/errors.js';

function dirWith(config: unknown, raw?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-config-'));
  writeFileSync(path.join(dir, 'hatago.config.json'), raw ?? JSON.stringify(config));
  return dir;
}

describe('loadConfig', () => {
  it('uses the embedded default when no file is given or found', async () => {
    const { config, source } = await loadConfig({ cwd: mkdtempSync(path.join(tmpdir(), 'hatago-empty-')) });
    expect(source).toBe('embedded');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(config.policies.bundle).toBe(DEFAULT_BUNDLE_PATH);
    expect(Object.keys(config.mcpServers)).toEqual(['demo']);
  });

  it('finds hatago.config.json in the working folder and fills defaults', async () => {
    const dir = dirWith({ mcpServers: { fs: { command: 'node', args: ['x.js'], cwd: 'sub' } }, policies: { bundle: 'b.tar.gz' } });
    const { config, source } = await loadConfig({ cwd: dir });
    expect(source).toBe(path.join(dir, 'hatago.config.json'));
    expect(config.http.port).toBe(3000);
    expect(config.policies.bundle).toBe(path.join(dir, 'b.tar.gz'));
    expect(config.mcpServers.fs?.cwd).toBe(path.join(dir, 'sub'));
    expect(config.security.authentication?.enabled).toBe(false);
  });

  it('expands ${VAR} and ${VAR:-default}', async () => {
    const dir = dirWith({ mcpServers: { r: { url: '${UP_URL}', headers: { Authorization: 'Bearer ${UP_TOKEN:-none}' } } } });
    const { config } = await loadConfig({ cwd: dir, env: { UP_URL: 'http://127.0.0.1:9/mcp' } });
    expect(config.mcpServers.r?.url).toBe('http://127.0.0.1:9/mcp');
    expect(config.mcpServers.r?.headers?.Authorization).toBe('Bearer none');
  });

  it('names a missing variable and where it is used', async () => {
    const dir = dirWith({ security: { authentication: { enabled: true, secret: '${HATAGO_TEST_UNSET}' } } });
    const err = await rejectionOf(loadConfig({ cwd: dir, env: {} }));
    expect(err.code).toBe('ERR_CONFIG_ENV_MISSING');
    expect(err.message).toContain('HATAGO_TEST_UNSET');
    expect(err.message).toContain('/security/authentication/secret');
  });

  it('rejects unknown keys naming the key path', async () => {
    const dir = dirWith({ http: { port: 3000, hots: 'x' } });
    const err = await rejectionOf(loadConfig({ cwd: dir }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('/http/hots: unknown key "hots"');
  });

  it('rejects wrong types naming the key path', async () => {
    const dir = dirWith({ http: { port: 'eighty' }, mcpServers: { a: { command: 'x', disabled: 'no' } } });
    const err = await rejectionOf(loadConfig({ cwd: dir }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('/http/port: must be integer');
    expect(err.message).toContain('/mcpServers/a/disabled: must be boolean');
  });

  it('rejects a server with both command and url', async () => {
    const dir = dirWith({ mcpServers: { both: { command: 'x', url: 'http://127.0.0.1:1/mcp' } } });
    const err = await rejectionOf(loadConfig({ cwd: dir }));
    expect(err.message).toContain('/mcpServers/both: a server needs exactly one of "command" (local) or "url" (remote)');
  });

  it('rejects a file that is not JSON', async () => {
    const err = await rejectionOf(loadConfig({ cwd: dirWith(null, '{ nope') }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('not valid JSON');
  });

  it('rejects a --config path that does not exist', async () => {
    const err = await rejectionOf(loadConfig({ path: '/nonexistent/hatago.json' }));
    expect(err.code).toBe('ERR_CONFIG_NOT_FOUND');
    expect(err.message).toBe('Config file not found: /nonexistent/hatago.json');
  });
});
