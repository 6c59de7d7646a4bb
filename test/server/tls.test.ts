// TLS with a PKI made in this test (a CA, a server certificate for
// localhost/127.0.0.1 with SANs, client certificates for mTLS) and the real
// hub process. The MCP SDK client runs in a child process that trusts the
// test CA through NODE_EXTRA_CA_CERTS, as an operator's client would.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { packagePath } from '../../src/util/package-root.js';
import { createTestCa, type Issued, type TestCa } from '../helpers/certificates.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { freePort, spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const SECRET = 'a-hatago-test-secret-of-at-least-32-bytes!';

let ca: TestCa;
let server: Issued;
let client: Issued;
let rogue: Issued;

beforeAll(() => {
  ca = createTestCa('hatago-test-ca');
  server = ca.issue('server', { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', usage: 'serverAuth' });
  client = ca.issue('client', { cn: 'alice', usage: 'clientAuth' });
  rogue = createTestCa('other-ca').issue('rogue', { cn: 'mallory', usage: 'clientAuth' });
});

function hubConfig(ssl: Record<string, unknown>): Record<string, unknown> {
  return {
    mcpServers: { fx: fixtureStdio() },
    http: { ssl: { enabled: true, cert: server.certFile, key: server.keyFile, ...ssl } },
    security: { authorization: { enabled: true, defaultRole: 'admin' } },
  };
}

function portOf(hub: HubProcess): number {
  return Number(new URL(hub.url).port);
}

/** The real MCP SDK client in its own process; prints the tool names or the error chain. */
const CLIENT_SCRIPT = `
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
const client = new Client({ name: 'tls-e2e', version: '1.0.0' }, { capabilities: {} });
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(process.env.HUB_MCP_URL)));
  const { tools } = await client.listTools();
  console.log('TOOLS ' + JSON.stringify(tools.map((t) => t.name)));
  await client.close();
} catch (err) {
  const chain = [];
  for (let e = err; e; e = e.cause) chain.push(String(e.code ?? '') + ' ' + e.message);
  console.log('CLIENT_ERROR ' + chain.join(' <- '));
  process.exit(2);
}
`;

async function sdkClient(mcpUrl: string, env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const proc = spawnProcess(process.execPath, ['--input-type=module', '-e', CLIENT_SCRIPT], { cwd: packagePath(), env: { HUB_MCP_URL: mcpUrl, NODE_EXTRA_CA_CERTS: undefined, ...env } });
  const code = await proc.waitForExit(30000);
  return { code, output: proc.output() };
}

/** One TLS handshake; resolves with what was negotiated, rejects with the handshake error. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string; authorized: boolean; peerCN: string }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.cert, ...opts }, () => {
      const out = { protocol: sock.getProtocol(), cipher: sock.getCipher().name, authorized: sock.authorized, peerCN: String(sock.getPeerCertificate().subject?.CN) };
      sock.end();
      resolve(out);
    });
    sock.once('error', reject);
  });
}

/** GET /health over HTTPS with the test CA (and a client certificate, when given). */
function healthOverTls(port: number, cert?: Issued): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/health', ca: ca.cert, ...(cert && { cert: cert.cert, key: cert.key }), agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
  });
}

describe('TLS: http.ssl.enabled serves HTTPS only', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess(hubConfig({}));
  });
  afterAll(() => hub.stop());

  it('listens on an https URL and presents the server certificate', async () => {
    expect(hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const hs = await handshake(portOf(hub), {});
    expect(hs).toMatchObject({ authorized: true, peerCN: 'localhost' });
    expect(await healthOverTls(portOf(hub))).toBe(200);
  });

  it('serves the real MCP SDK client that trusts the test CA', async () => {
    const r = await sdkClient(hub.mcpUrl, { NODE_EXTRA_CA_CERTS: ca.certFile });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.output.match(/^TOOLS (.*)$/m)![1]!)).toContain('fx_echo');
  });

  it('is refused by a client that does not trust the CA', async () => {
    const r = await sdkClient(hub.mcpUrl, {});
    expect(r.code).toBe(2);
    // The hub sends its leaf only; without the CA, Node cannot verify it.
    expect(r.output).toMatch(/CLIENT_ERROR .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('answers no plain HTTP on its port', async () => {
    const plain = new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: portOf(hub), path: '/health', agent: false }, (res) => resolve(res.statusCode ?? 0));
      req.once('error', reject);
    });
    await expect(plain).rejects.toThrow();
  });
});

describe('TLS: protocols and ciphers', () => {
  it('protocols ["TLSv1.3"] refuses a TLSv1.2-only client', async () => {
    const hub = await startHubProcess(hubConfig({ protocols: ['TLSv1.3'] }));
    try {
      await expect(handshake(portOf(hub), { maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol version|alert/i);
      expect((await handshake(portOf(hub), {})).protocol).toBe('TLSv1.3');
    } finally {
      await hub.stop();
    }
  });

  it('ciphers are honoured for TLS 1.2', async () => {
    const hub = await startHubProcess(hubConfig({ protocols: ['TLSv1.2'], ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'] }));
    try {
      const offered = await handshake(portOf(hub), { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' });
      expect(offered).toMatchObject({ protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
      await expect(handshake(portOf(hub), { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' })).rejects.toThrow(/handshake failure|alert/i);
      // TLSv1.2 only: a TLSv1.3-only client is refused too.
      await expect(handshake(portOf(hub), { minVersion: 'TLSv1.3' })).rejects.toThrow();
    } finally {
      await hub.stop();
    }
  });
});

describe('TLS: ca means mutual TLS', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess(hubConfig({ ca: ca.certFile }));
  });
  afterAll(() => hub.stop());

  it('accepts a client certificate issued by the CA', async () => {
    expect(await healthOverTls(portOf(hub), client)).toBe(200);
  });

  // Under TLS 1.2 the server checks the client certificate inside the handshake, so the
  // refusal is a handshake alert; under TLS 1.3 it comes after, as a failed first request.
  it('refuses a client without a certificate', async () => {
    await expect(handshake(portOf(hub), { maxVersion: 'TLSv1.2' })).rejects.toThrow(/handshake failure/i);
    await expect(healthOverTls(portOf(hub))).rejects.toThrow();
  });

  it('refuses a client certificate from another CA', async () => {
    // Node checks the chain after OpenSSL's handshake and drops the socket (no alert to match on);
    // the same handshake with the CA's own client certificate is the control.
    await expect(handshake(portOf(hub), { maxVersion: 'TLSv1.2', cert: client.cert, key: client.key })).resolves.toMatchObject({ protocol: 'TLSv1.2' });
    await expect(handshake(portOf(hub), { maxVersion: 'TLSv1.2', cert: rogue.cert, key: rogue.key })).rejects.toThrow();
    await expect(healthOverTls(portOf(hub), rogue)).rejects.toThrow();
  });
});

describe('TLS: start-up errors are one line, exit 1', () => {
  async function startFailure(ssl: Record<string, unknown>): Promise<string> {
    const port = await freePort();
    const { file } = writeConfig({ ...hubConfig(ssl), http: { host: '127.0.0.1', port, ssl: { enabled: true, cert: server.certFile, key: server.keyFile, ...ssl } } });
    const r = await runHatago(['serve', '--config', file]);
    expect(r.code).toBe(1);
    const lines = r.output.trim().split('\n');
    const last = lines[lines.length - 1]!;
    expect(last).toMatch(/^hatago: .*\[ERR_TLS_CONFIG\]$/);
    // Nothing that looks like a stack trace.
    expect(r.output).not.toMatch(/^\s+at /m);
    return last;
  }

  it('names a missing certificate file', async () => {
    expect(await startFailure({ cert: path.join(ca.dir, 'missing.pem') })).toContain('http.ssl.cert: cannot read');
  });

  it('names an unreadable key (a folder)', async () => {
    const folder = path.join(ca.dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    expect(await startFailure({ key: folder })).toContain('http.ssl.key: cannot read');
  });

  it('names a key that does not match the certificate', async () => {
    expect(await startFailure({ key: client.keyFile })).toContain('does not match');
  });

  it('names a file that is not PEM', async () => {
    const junk = path.join(ca.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(await startFailure({ cert: junk })).toContain('http.ssl');
  });

  it('names an unknown cipher list', async () => {
    expect(await startFailure({ ciphers: ['NO-SUCH-CIPHER'] })).toContain('http.ssl.ciphers');
  });

  it('names an empty protocols list', async () => {
    expect(await startFailure({ protocols: [] })).toContain('http.ssl.protocols');
  });

  it('needs both cert and key', async () => {
    expect(await startFailure({ cert: undefined })).toContain('needs both');
  });
});

describe('TLS: clear-text token warning', () => {
  const auth = { authentication: { enabled: true, secret: '${HATAGO_AUTH_SECRET}' }, authorization: { enabled: true, defaultRole: 'admin' } };

  it('warns when authentication is on, TLS off and the host not loopback', async () => {
    const hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, security: auth }, { host: '0.0.0.0', env: { HATAGO_AUTH_SECRET: SECRET } });
    try {
      expect(hub.proc.output()).toContain('TLS is OFF on 0.0.0.0');
    } finally {
      await hub.stop();
    }
  });

  it('does not warn with TLS on', async () => {
    const hub = await startHubProcess({ ...hubConfig({}), security: auth }, { host: '0.0.0.0', env: { HATAGO_AUTH_SECRET: SECRET } });
    try {
      expect(hub.url).toMatch(/^https:/);
      expect(hub.proc.output()).not.toContain('TLS is OFF');
    } finally {
      await hub.stop();
    }
  });
});
