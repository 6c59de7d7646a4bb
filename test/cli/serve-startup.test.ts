// What a newcomer sees at start-up: the one-line summary (auth, TLS/mTLS,
// upstreams, what a role-less caller sees) and the warning when nobody can
// see a tool; `hatago --version`; `GET /` as JSON; readable logs; the
// address of an unreachable upstream, sanitized.
import https from 'node:https';
import { rmSync } from 'node:fs';
import { consoleFormat } from '../../src/log/logger.js';
import { PACKAGE_INFO } from '../../src/util/package-info.js';
import { createTestCa, type TestCa, type Issued } from '../helpers/certificates.js';
import { fixtureStdio, runHatago, startHubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { freePort, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** The message of the first JSON log line whose message starts with `prefix`. */
function message(output: string, prefix: string): string | undefined {
  for (const line of output.split('\n')) {
    try {
      const m = (JSON.parse(line) as { message?: unknown }).message;
      if (typeof m === 'string' && m.startsWith(prefix)) return m;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}
const summaryOf = (output: string) => message(output, 'hatago ready: ');

describe('start-up summary', () => {
  it('a first config with only mcpServers: says an anonymous caller sees none of the tools, and warns that nobody can', async () => {
    const hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, logging: { file: false } });
    dirs.push(hub.dir);
    try {
      const tools = Number((await hub.proc.waitForLine(/WARNING: nobody can see any of the (\d+) tool\(s\)/))[1]);
      expect(tools).toBeGreaterThan(0);
      expect(summaryOf(hub.proc.output())).toBe(
        `hatago ready: authentication off, TLS off, 1 upstream(s) with ${tools} tool(s); an anonymous caller sees 0 of ${tools} tool(s) (defaultRole not set)`,
      );
      expect(message(hub.proc.output(), 'WARNING: nobody')).toBe(
        `WARNING: nobody can see any of the ${tools} tool(s): the policy shows none to an anonymous caller. ` +
          'Set security.authorization.defaultRole (e.g. "readonly" to list, "user" to list and call) or give the roles the permissions they need (docs/policy-contract.md).',
      );
    } finally {
      await hub.stop();
    }
  });

  it('with defaultRole readonly: the anonymous caller sees every tool, no warning', async () => {
    const hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, logging: { file: false }, security: { authorization: { enabled: true, defaultRole: 'readonly' } } });
    dirs.push(hub.dir);
    try {
      const m = await hub.proc.waitForLine(/hatago ready: [^"\n]*with (\d+) tool\(s\); an anonymous caller sees (\d+) of/);
      expect(m[2]).toBe(m[1]);
      expect(summaryOf(hub.proc.output())).toContain('(defaultRole "readonly")');
      expect(hub.proc.output()).not.toContain('nobody can see');
    } finally {
      await hub.stop();
    }
  });

  it('with authentication on and no defaultRole, a role that sees tools keeps the warning away', async () => {
    const hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      logging: { file: false },
      security: { authentication: { secret: 'startup-secret-0123456789-0123456789' }, authorization: { enabled: true } },
    });
    dirs.push(hub.dir);
    try {
      const m = await hub.proc.waitForLine(/hatago ready: authentication jwt, TLS off, 1 upstream\(s\) with (\d+) tool\(s\); a caller whose token has no known role sees 0 of \d+ tool\(s\)/);
      expect(Number(m[1])).toBeGreaterThan(0);
      expect(hub.proc.output()).not.toContain('nobody can see');
    } finally {
      await hub.stop();
    }
  });
});

describe('TLS in the start-up lines', () => {
  let ca: TestCa;
  let server: Issued;
  beforeAll(() => {
    ca = createTestCa('startup-ca');
    server = ca.issue('server', { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', usage: 'serverAuth' });
    dirs.push(ca.dir);
  });

  /** GET /health over HTTPS trusting the test CA, without a client certificate: the status, or the handshake error code. */
  const health = (url: string) =>
    new Promise<number | string>((resolve) => {
      https.get(`${url}/health`, { ca: ca.cert }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });

  it('`ca` means mutual TLS, and both lines say so', async () => {
    const hub = await startHubProcess({ mcpServers: {}, logging: { file: false }, http: { ssl: { enabled: true, cert: server.certFile, key: server.keyFile, ca: ca.certFile } } });
    dirs.push(hub.dir);
    try {
      await hub.proc.waitForLine(/hatago ready: /);
      expect(hub.proc.output()).toMatch(/hatago listening on https:\/\/127\.0\.0\.1:\d+\/mcp \(mutual TLS: clients must present a certificate issued by http\.ssl\.ca\)/);
      expect(summaryOf(hub.proc.output())).toContain('TLS on, mutual TLS (client certificates from http.ssl.ca required)');
      expect(await health(hub.url)).not.toBe(200); // no client certificate, no answer
    } finally {
      await hub.stop();
    }
  });

  it('"requestCert": false keeps `ca` without asking clients for certificates', async () => {
    const hub = await startHubProcess({ mcpServers: {}, logging: { file: false }, http: { ssl: { enabled: true, cert: server.certFile, key: server.keyFile, ca: ca.certFile, requestCert: false } } });
    dirs.push(hub.dir);
    try {
      await hub.proc.waitForLine(/hatago ready: /);
      expect(hub.proc.output()).not.toContain('mutual TLS');
      expect(summaryOf(hub.proc.output())).toContain('TLS on,');
      expect(await health(hub.url)).toBe(200);
    } finally {
      await hub.stop();
    }
  });
});

describe('first contact', () => {
  it('`hatago --version` prints the package version', async () => {
    const r = await runHatago(['--version']);
    expect(r.code).toBe(0);
    expect(r.output.trim()).toBe(PACKAGE_INFO.version);
    expect(PACKAGE_INFO.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('GET / answers JSON naming the product, its version and endpoints; logs are pretty when asked, JSON on a pipe', async () => {
    const hub = await startHubProcess({ mcpServers: {}, logging: { file: false } }, { env: { HATAGO_LOG_FORMAT: 'pretty' } });
    dirs.push(hub.dir);
    try {
      const res = await rawRequest(`${hub.url}/`, { method: 'GET' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json).toEqual({ name: '@himorishige/hatago', version: PACKAGE_INFO.version, endpoints: { mcp: '/mcp', health: '/health', metrics: '/metrics' } });
      expect(hub.proc.output()).toMatch(/^\d\d:\d\d:\d\d info  \[hub\] hatago listening on http:\/\/127\.0\.0\.1:\d+\/mcp url=http/m);
    } finally {
      await hub.stop();
    }
    const json = await startHubProcess({ mcpServers: {}, logging: { file: false } }, { env: { HATAGO_LOG_FORMAT: undefined } });
    dirs.push(json.dir);
    try {
      const first = json.proc.output().split('\n').find((l) => l.includes('hatago listening'))!;
      expect(JSON.parse(first)).toMatchObject({ level: 'info', component: 'hub' });
    } finally {
      await json.stop();
    }
  });

  it('consoleFormat: pretty on a terminal, JSON otherwise, HATAGO_LOG_FORMAT wins', () => {
    expect(consoleFormat(true, {})).toBe('pretty');
    expect(consoleFormat(false, {})).toBe('json');
    expect(consoleFormat(true, { HATAGO_LOG_FORMAT: 'json' })).toBe('json');
    expect(consoleFormat(false, { HATAGO_LOG_FORMAT: 'pretty' })).toBe('pretty');
  });

  it('an unreachable upstream\'s log line names its address, without credentials or query', async () => {
    const closed = await freePort();
    const hub = await startHubProcess({
      mcpServers: { remote: { type: 'http', url: `http://alice:hunter2pass@127.0.0.1:${closed}/mcp?api_key=qwerty123` } },
      logging: { file: false },
    });
    dirs.push(hub.dir);
    try {
      const m = await hub.proc.waitForLine(/\{[^\n]*"message":"Upstream failed to start"[^\n]*\}/);
      expect(JSON.parse(m[0])).toMatchObject({ server: 'remote', address: `http://127.0.0.1:${closed}/mcp` });
      expect(hub.proc.output()).not.toContain('hunter2pass');
      expect(hub.proc.output()).not.toContain('qwerty123');
    } finally {
      await hub.stop();
    }
  });
});
