// prepareConfig: the checks `serve` and `config validate` share. Where the
// OAuth 2.0 resource is derived, and where it is refused with one line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareConfig } from '../../src/config/prepare-config.js';
import { loadConfig } from '../../src/config/index.js';
import { rejectionOf } from '../helpers/errors.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fileWith(config: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-prepare-'));
  dirs.push(dir);
  const file = path.join(dir, 'hatago.config.json');
  writeFileSync(file, JSON.stringify({ mcpServers: {}, ...(config as object) }));
  return file;
}

const oauth2 = (http: Record<string, unknown>, provider: Record<string, unknown> = {}) =>
  fileWith({ http, security: { authentication: { type: 'oauth2', provider: { userInfoUrl: 'https://auth.company.com/oauth/userinfo', ...provider } } } });

const required = (why: string) =>
  `security.authentication.provider.resource is required (${why}): set it to the public URL of the MCP endpoint, e.g. "https://mcp.example.com/mcp", or set http.publicUrl`;

describe('a present authentication section', () => {
  it('is on without "enabled", off only with "enabled": false or when absent', async () => {
    expect((await loadConfig({ path: fileWith({ security: { authentication: { type: 'jwt' } } }) })).config.security.authentication?.enabled).toBe(true);
    expect((await loadConfig({ path: fileWith({ security: { authentication: { enabled: false } } }) })).config.security.authentication?.enabled).toBe(false);
    expect((await loadConfig({ path: fileWith({}) })).config.security.authentication?.enabled).toBe(false);
  });
});

describe('the OAuth 2.0 resource', () => {
  it('is kept when set', async () => {
    const r = await prepareConfig({ path: oauth2({ host: '0.0.0.0', port: 443 }, { resource: 'https://mcp.company.com/mcp' }) });
    expect(r.config.security.authentication?.provider?.resource).toBe('https://mcp.company.com/mcp');
    expect(r.notes).toEqual([]);
  });

  it('comes from http.publicUrl, then from a loopback host:port, and --port counts', async () => {
    const a = await prepareConfig({ path: oauth2({ host: '0.0.0.0', port: 3000, publicUrl: 'https://mcp.company.com/base/' }) });
    expect(a.config.security.authentication?.provider?.resource).toBe('https://mcp.company.com/base/mcp');
    const b = await prepareConfig({ path: oauth2({ host: '::1', port: 3000 }), port: '4100' });
    expect(b.config.security.authentication?.provider?.resource).toBe('http://[::1]:4100/mcp');
    expect(b.notes).toEqual(['security.authentication.provider.resource is not set: using http://[::1]:4100/mcp (from http.host and http.port)']);
  });

  it.each([
    [{ host: '0.0.0.0', port: 3000 }, false, required('http.host 0.0.0.0 is not an address clients use')],
    [{ host: '127.0.0.1', port: 0 }, false, required('http.port is 0, the port is not known yet')],
    [{ host: '10.1.2.3', port: 3000 }, false, required('plain http on 10.1.2.3 is not a safe resource identifier')],
    [{ host: '127.0.0.1', port: 3000 }, true, required('serving over stdio, the hub has no URL of its own')],
    [{ host: '127.0.0.1', port: 3000, publicUrl: 'https://mcp.company.com/?x=1' }, false, 'http.publicUrl must not have a query or fragment'],
  ])('is refused with one line naming the key: %j (stdio %s)', async (http, stdio, message) => {
    const err = await rejectionOf(prepareConfig({ path: oauth2(http), stdio }));
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', message });
  });
});
