// The security guide's own configuration blocks (docs/security-guide.md),
// copied here as data with only placeholders filled, run through
// `hatago config validate` and `hatago serve` as real processes: the two
// must agree (ok and starting, or the same one-line error), and a present
// `authentication` section must never mean "disabled".
import { rmSync } from 'node:fs';
import { HATAGO_BIN, runHatago, writeConfig } from '../helpers/hub-process.js';
import { rawRequest, INITIALIZE } from '../helpers/http-client.js';
import { freePort, spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';

useProcessCleanup();

// Guide, "OAuth 2.0 Integration", verbatim.
const GUIDE_OAUTH2 = {
  security: {
    authentication: {
      type: 'oauth2',
      provider: {
        authUrl: 'https://auth.company.com/oauth/authorize',
        tokenUrl: 'https://auth.company.com/oauth/token',
        userInfoUrl: 'https://auth.company.com/oauth/userinfo',
        clientId: '${OAUTH_CLIENT_ID}',
        clientSecret: '${OAUTH_CLIENT_SECRET}',
        scope: ['openid', 'profile', 'mcp'],
      },
    },
  },
};

// Guide, "JWT Authentication / Configuration", verbatim.
const GUIDE_JWT = {
  security: {
    authentication: {
      enabled: true,
      type: 'jwt',
      secret: '${HATAGO_AUTH_SECRET}',
      algorithms: ['HS256', 'RS256'],
      expiresIn: '24h',
      issuer: 'hatago-hub',
      audience: ['mcp-clients'],
      clockTolerance: 60,
    },
  },
};

const OAUTH_ENV = { OAUTH_CLIENT_ID: 'hatago-client', OAUTH_CLIENT_SECRET: 'guide-client-secret-value' };

type Outcome = { started: true; proc: TestProcess; output: string } | { started: false; code: number | null; output: string };

/** `hatago serve`: either it prints its listening line, or it exits; whichever comes first. */
async function serve(file: string, dir: string, env: Record<string, string>, port: number): Promise<Outcome> {
  const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--config', file, '--port', String(port)], { cwd: dir, env });
  const result = await Promise.race([
    // waitForLine rejects when the process exits first: that is the "exited" outcome.
    proc.waitForLine(/hatago ready: [^\n]*/, 30000).then(() => 'started' as const, () => 'exited' as const),
    proc.waitForExit(30000).then(() => 'exited' as const),
  ]);
  if (result === 'started') return { started: true, proc, output: proc.output() };
  return { started: false, code: await proc.waitForExit(), output: proc.output() };
}

const errorLine = (output: string) => output.split('\n').find((l) => l.startsWith('hatago: '));

/** Runs both commands on one config (same port, same env) and returns both results. */
async function both(config: Record<string, unknown>, env: Record<string, string>, http: Record<string, unknown> = {}) {
  const port = await freePort();
  const { dir, file } = writeConfig({ mcpServers: {}, logging: { file: false }, ...config, http: { host: '127.0.0.1', port, ...http } });
  const validate = await runHatago(['config', 'validate', '--config', file, '--port', String(port)], { cwd: dir, env });
  const served = await serve(file, dir, env, port);
  return { dir, port, validate, served };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `config validate` and `serve` both refuse the config, with the same one line. */
function expectSameRefusal(r: Awaited<ReturnType<typeof both>>, expected: string): void {
  expect(r.validate.code).toBe(1);
  expect(errorLine(r.validate.output)).toBe(expected);
  expect(r.served.started).toBe(false);
  if (r.served.started) return;
  expect(r.served.code).toBe(1);
  expect(errorLine(r.served.output)).toBe(expected);
}

describe('the guide\'s OAuth 2.0 block', () => {
  it('as written: validate says ok, serve starts with authentication ON and the resource derived from host:port', async () => {
    const r = await both(GUIDE_OAUTH2, OAUTH_ENV);
    dirs.push(r.dir);
    const resource = `http://127.0.0.1:${r.port}/mcp`;
    expect(r.validate.code).toBe(0);
    expect(r.validate.output).toContain(`note: security.authentication.provider.resource is not set: using ${resource} (from http.host and http.port)`);
    expect(r.validate.output).toContain('ok: ');
    expect(r.served.started).toBe(true);
    if (!r.served.started) return;
    try {
      expect(r.served.output).not.toContain('authentication is DISABLED');
      expect(r.served.output).toContain('hatago ready: authentication oauth2');
      // Fail closed: no token, no MCP.
      const res = await rawRequest(`http://127.0.0.1:${r.port}/mcp`, { body: INITIALIZE });
      expect(res.status).toBe(401);
      expect(res.json.error.data.code).toBe('ERR_UNAUTHENTICATED');
      expect(res.json.error.message).toBe('Authentication required');
      // RFC 9728 metadata names the derived resource.
      const meta = await rawRequest(`http://127.0.0.1:${r.port}/.well-known/oauth-protected-resource/mcp`, { method: 'GET' });
      expect(meta.status).toBe(200);
      expect(meta.json.resource).toBe(resource);
    } finally {
      await r.served.proc.kill('SIGTERM');
    }
  });

  it('with "enabled": true added: the same (validate ok, serve starts)', async () => {
    const block = structuredClone(GUIDE_OAUTH2) as { security: { authentication: Record<string, unknown> } };
    block.security.authentication.enabled = true;
    const r = await both(block, OAUTH_ENV);
    dirs.push(r.dir);
    expect(r.validate.code).toBe(0);
    expect(r.served.started).toBe(true);
    if (r.served.started) await r.served.proc.kill('SIGTERM');
  });

  it('with http.publicUrl: the resource is derived from it', async () => {
    const r = await both(GUIDE_OAUTH2, OAUTH_ENV, { publicUrl: 'https://mcp.example.com/' });
    dirs.push(r.dir);
    expect(r.validate.output).toContain('note: security.authentication.provider.resource is not set: using https://mcp.example.com/mcp (from http.publicUrl)');
    expect(r.served.started).toBe(true);
    if (!r.served.started) return;
    try {
      const meta = await rawRequest(`http://127.0.0.1:${r.port}/.well-known/oauth-protected-resource/mcp`, { method: 'GET' });
      expect(meta.json.resource).toBe('https://mcp.example.com/mcp');
    } finally {
      await r.served.proc.kill('SIGTERM');
    }
  });

  it('on a wildcard host with no resource: both stop with the same line naming the key', async () => {
    const r = await both(GUIDE_OAUTH2, OAUTH_ENV, { host: '0.0.0.0' });
    dirs.push(r.dir);
    const expected =
      'hatago: security.authentication.provider.resource is required (http.host 0.0.0.0 is not an address clients use): ' +
      'set it to the public URL of the MCP endpoint, e.g. "https://mcp.example.com/mcp", or set http.publicUrl [ERR_CONFIG_INVALID]';
    expectSameRefusal(r, expected);
  });
});

describe('the guide\'s JWT block', () => {
  it('with a HATAGO_AUTH_SECRET shorter than HS256 needs: validate and serve fail with the same line', async () => {
    const r = await both(GUIDE_JWT, { HATAGO_AUTH_SECRET: 'your-super-secure-secret' });
    dirs.push(r.dir);
    const expected = 'hatago: Config is invalid (security.authentication: secret must be at least 32 bytes for HS256) [ERR_CONFIG_INVALID]';
    expectSameRefusal(r, expected);
  });

  it('with a strong secret: validate ok and serve starts with authentication jwt', async () => {
    const r = await both(GUIDE_JWT, { HATAGO_AUTH_SECRET: 'your-super-secure-secret-key-here-0123456789' });
    dirs.push(r.dir);
    expect(r.validate.code).toBe(0);
    expect(r.served.started).toBe(true);
    if (!r.served.started) return;
    expect(r.served.output).toContain('hatago ready: authentication jwt');
    await r.served.proc.kill('SIGTERM');
  });

  it('a section without "enabled" is on (fail closed), and "enabled": false is off', async () => {
    const on = await both({ security: { authentication: { type: 'jwt', secret: 'a-secret-of-at-least-32-bytes-0123456789' } } }, {});
    dirs.push(on.dir);
    expect(on.served.started).toBe(true);
    if (on.served.started) {
      expect(on.served.output).toContain('hatago ready: authentication jwt');
      const res = await rawRequest(`http://127.0.0.1:${on.port}/mcp`, { body: INITIALIZE });
      expect(res.status).toBe(401);
      expect(res.json.error.data.code).toBe('ERR_UNAUTHENTICATED');
      await on.served.proc.kill('SIGTERM');
    }
    const off = await both({ security: { authentication: { enabled: false } } }, {});
    dirs.push(off.dir);
    expect(off.served.started).toBe(true);
    if (off.served.started) {
      expect(off.served.output).toContain('WARNING: authentication is DISABLED');
      expect(off.served.output).toContain('hatago ready: authentication off');
      await off.served.proc.kill('SIGTERM');
    }
  });
});
