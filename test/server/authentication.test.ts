// Every flavour of bad token against the real hub process: HTTP 401, a
// Bearer challenge, and a JSON-RPC error with a stable code; never a 500.
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const SECRET = 'e2e-secret-0123456789-0123456789-0123456789';
const key = new TextEncoder().encode(SECRET);
const AUTH = { enabled: true, type: 'jwt', secret: '${E2E_SECRET}', algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'], clockTolerance: 5 };
let hub: HubProcess;

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function sign(claims: Record<string, unknown>, opts: { alg?: string; secret?: Uint8Array } = {}): Promise<string> {
  const payload = { sub: 'alice', roles: ['user'], iss: 'hatago-hub', aud: 'mcp-clients', iat: now(), exp: now() + 600, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).sign(opts.secret ?? key);
}

/** A correctly HMAC-signed token around an arbitrary payload string. */
function signRaw(payload: string): string {
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${Buffer.from(payload).toString('base64url')}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

beforeAll(async () => {
  hub = await startHubProcess(
    { mcpServers: { fx: fixtureStdio() }, security: { authentication: AUTH, authorization: { enabled: true, defaultRole: 'readonly' } } },
    { env: { E2E_SECRET: SECRET } },
  );
});

// Each flavour comes from its own loopback address: repeated failures from one
// address are suspicious activity, which the policy may block (a 403).
let nextAddress = 20;

async function expect401(authorization: string | undefined, code: string): Promise<void> {
  const localAddress = `127.0.1.${nextAddress++}`;
  const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: authorization === undefined ? {} : { authorization }, localAddress });
  expect({ status: res.status, code: res.json?.error?.data?.code, rpc: res.json?.error?.code }).toEqual({ status: 401, code, rpc: -32001 });
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="hatago"/);
}

describe('tokens the hub refuses (401)', () => {
  it('no token', () => expect401(undefined, 'ERR_UNAUTHENTICATED'));
  it('another scheme (no bearer token at all)', () => expect401('Basic dXNlcjpwYXNz', 'ERR_UNAUTHENTICATED'));
  it('malformed token', () => expect401('Bearer not-a-jwt', 'ERR_TOKEN_INVALID'));
  it('alg: none', () => expect401(`Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'alice', iss: 'hatago-hub', aud: 'mcp-clients', exp: now() + 600 })}.`, 'ERR_TOKEN_INVALID'));
  it('an algorithm not in the allowed list', async () => expect401(`Bearer ${await sign({}, { alg: 'HS384' })}`, 'ERR_TOKEN_INVALID'));
  it('bad signature', async () => expect401(`Bearer ${await sign({}, { secret: new TextEncoder().encode('another-secret-another-secret-another!') })}`, 'ERR_TOKEN_INVALID'));
  it('expired', async () => expect401(`Bearer ${await sign({ exp: now() - 120 })}`, 'ERR_TOKEN_EXPIRED'));
  it('not yet valid', async () => expect401(`Bearer ${await sign({ nbf: now() + 600 })}`, 'ERR_TOKEN_INVALID'));
  it('wrong issuer', async () => expect401(`Bearer ${await sign({ iss: 'someone-else' })}`, 'ERR_TOKEN_INVALID'));
  it('wrong audience', async () => expect401(`Bearer ${await sign({ aud: 'other-clients' })}`, 'ERR_TOKEN_INVALID'));
  // Over the 8 KiB token limit, under Node's 16 KiB header limit (which would answer 431 first).
  it('oversized', async () => expect401(`Bearer ${await sign({ padding: 'x'.repeat(9 * 1024) })}`, 'ERR_TOKEN_INVALID'));
  it('non-JSON payload', () => expect401(`Bearer ${signRaw('this is not json')}`, 'ERR_TOKEN_INVALID'));
  it('a JSON payload that is not an object', () => expect401(`Bearer ${signRaw('[1,2,3]')}`, 'ERR_TOKEN_INVALID'));
});

describe('a valid token', () => {
  it('opens a session for the real SDK client', async () => {
    const token = await sign({});
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
    } finally {
      await client.close();
    }
  });

  it('is what `hatago token` prints', async () => {
    const { file } = writeConfig({ security: { authentication: AUTH } });
    const { code, output } = await runHatago(['token', '--sub', 'bob', '--roles', 'user', '--config', file], { env: { E2E_SECRET: SECRET } });
    expect(code).toBe(0);
    const token = output.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });
});

describe('authentication disabled', () => {
  it('refuses to bind to anything but loopback', async () => {
    const { file } = writeConfig({ http: { host: '0.0.0.0', port: 0 }, mcpServers: {}, security: { authentication: { enabled: false } } });
    const { code, output } = await runHatago(['serve', '--config', file]);
    expect(code).toBe(1);
    expect(output).toContain('[ERR_AUTH_DISABLED_NON_LOOPBACK]');
    expect(output).not.toMatch(/\n\s+at /);
  });
});
