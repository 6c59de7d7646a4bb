// Token endpoints against the real hub process, for what the penetration test
// found: a refresh re-reads its user from the current config (a user removed
// or disabled since login gets no new token, roles come from the config, not
// the old token), and a policy refusal at the token endpoints (a custom rule
// in hatago.custom) is in the audit trail, with the rule, before the answer.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { hashPassword } from '../../src/auth/users/index.js';
import { packagePath } from '../../src/util/package-root.js';
import { auditRecords } from '../audit/helpers.js';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest, type RawResponse } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const SECRET = 'token-hardening-secret-0123456789-0123456789';
const AUTH = { enabled: true, type: 'jwt', secret: '${E2E_SECRET}', algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'], expiresIn: '1h' };
const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'correct horse battery staple';
const env = { E2E_SECRET: SECRET };

let passwordHash: string;
const hubs: HubProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD, FAST);
});

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop()));
  for (const d of [...dirs, ...hubs.map((h) => h.dir)]) rmSync(d, { recursive: true, force: true });
});

async function hubWith(users: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<HubProcess> {
  const hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, security: { authentication: { ...AUTH, users }, authorization: { enabled: true } }, ...extra }, { env });
  hubs.push(hub);
  return hub;
}

let next = 10;
const from = () => `127.0.6.${next++}`;

function post(h: HubProcess, p: string, opts: { body?: unknown; token?: string; localAddress?: string } = {}): Promise<RawResponse> {
  return rawRequest(`${h.url}${p}`, {
    ...(opts.body !== undefined && { body: opts.body }),
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    localAddress: opts.localAddress ?? from(),
  });
}

async function login(h: HubProcess, username: string): Promise<string> {
  const res = await post(h, '/auth/login', { body: { username, password: PASSWORD } });
  expect(res.status).toBe(200);
  return res.json.token as string;
}

const INVALID = { status: 401, body: { error: { code: 'ERR_TOKEN_INVALID', message: 'Invalid token' } }, challenge: 'Bearer realm="hatago", error="invalid_token", error_description="The access token is invalid"' };
const answer = (r: RawResponse) => ({ status: r.status, body: r.json, challenge: r.headers['www-authenticate'] });

describe('POST /auth/refresh reads the user from the current config', () => {
  let alice: string;
  let carol: string;
  let erin: string;
  let frank: string;
  let after: HubProcess;

  beforeAll(async () => {
    const before = await hubWith({
      alice: { passwordHash, roles: ['admin'] },
      carol: { passwordHash, roles: ['admin'], permissions: ['mcp:tools:call'] },
      erin: { passwordHash, roles: ['user'] },
      frank: { passwordHash, roles: ['user'] },
    });
    [alice, carol, erin, frank] = [await login(before, 'alice'), await login(before, 'carol'), await login(before, 'erin'), await login(before, 'frank')];
    await before.stop();
    // The operator removes alice, demotes carol, disables erin, gives frank's name to another id; the hub restarts.
    after = await hubWith({
      carol: { passwordHash, roles: ['readonly'] },
      erin: { passwordHash, roles: ['user'], disabled: true },
      frank: { passwordHash, roles: ['user'], id: 'someone-else' },
    });
  });

  it('a user removed from the config gets 401 ERR_TOKEN_INVALID, however valid the token still is', async () => {
    const localAddress = from();
    const auditBefore = auditRecords(after).length;
    const res = await post(after, '/auth/refresh', { token: alice, localAddress });
    expect(answer(res)).toEqual(INVALID);
    const recs = auditRecords(after).slice(auditBefore);
    expect(recs.map((r) => r.event)).toEqual(['authentication_failure']);
    expect(recs[0]).toMatchObject({ user: 'alice', ip: localAddress, metadata: { method: 'jwt', endpoint: 'auth/refresh', code: 'ERR_TOKEN_INVALID', reason: 'user_unknown' } });
    // The old token itself lives until its exp (documented); refresh cannot extend it.
    expect((await rawRequest(after.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${alice}` }, localAddress: from() })).status).toBe(200);
  });

  it('a user disabled since login, or whose name now maps to another id, gets the same 401', async () => {
    expect(answer(await post(after, '/auth/refresh', { token: erin }))).toEqual(INVALID);
    expect(answer(await post(after, '/auth/refresh', { token: frank }))).toEqual(INVALID);
  });

  it('the new token carries the roles and permissions of the config now, not those of the old token', async () => {
    expect(decodeJwt(carol)).toMatchObject({ roles: ['admin'], permissions: ['mcp:tools:call'] });
    const res = await post(after, '/auth/refresh', { token: carol });
    expect(res.status).toBe(200);
    const claims = decodeJwt(res.json.token);
    expect(claims).toMatchObject({ sub: 'carol', username: 'carol', roles: ['readonly'], sessionId: decodeJwt(carol).sessionId });
    expect(claims.permissions).toBeUndefined();
    // readonly cannot call tools with the new token.
    const init = await rawRequest(after.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${res.json.token}` }, localAddress: from() });
    const sid = String(init.headers['mcp-session-id']);
    const call = await rawRequest(after.mcpUrl, {
      body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: 'x' } } },
      headers: { authorization: `Bearer ${res.json.token}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      localAddress: from(),
    });
    expect({ status: call.status, code: call.json.error.data.code }).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED' });
  });
});

describe('a policy denial at the token endpoints is audited', () => {
  let hub: HubProcess;

  beforeAll(async () => {
    // The shipped policy plus one custom rule: no logins from 127.0.7.0/24.
    const tmp = mkdtempSync(path.join(tmpdir(), 'hatago-custom-login-'));
    dirs.push(tmp);
    const src = path.join(tmp, 'rego');
    cpSync(packagePath('policies', 'rego'), src, { recursive: true });
    writeFileSync(
      path.join(src, 'hatago', 'custom', 'lab_login.rego'),
      [
        'package hatago.custom',
        '',
        'deny contains {"rule": "custom.no_lab_logins", "message": "no logins from the lab network"} if {',
        '\tinput.stage == "auth"',
        '\tinput.request.method == "auth/login"',
        '\tnet.cidr_contains("127.0.7.0/24", input.client.ip)',
        '}',
        '',
      ].join('\n'),
    );
    const bundle = path.join(tmp, 'custom.tar.gz');
    expect(await runHatago(['policy', 'build', '--dir', src, '--out', bundle])).toMatchObject({ code: 0 });
    hub = await hubWith({ alice: { passwordHash, roles: ['user'] } }, { policies: { bundle } });
  });

  it('a denied /auth/login is 403 ERR_PERMISSION_DENIED and its permission_denied record names the rule', async () => {
    const before = auditRecords(hub).length;
    const res = await post(hub, '/auth/login', { body: { username: 'alice', password: PASSWORD }, localAddress: '127.0.7.9' });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: { code: 'ERR_PERMISSION_DENIED', message: 'Forbidden: permission denied by policy', decisionId: expect.any(String) } });
    const recs = auditRecords(hub).slice(before);
    expect(recs.map((r) => r.event)).toEqual(['permission_denied']);
    expect(recs[0]).toMatchObject({
      decisionId: res.json.error.decisionId,
      ip: '127.0.7.9',
      user: null,
      metadata: { stage: 'auth', method: 'auth/login', code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'custom.no_lab_logins', message: 'no logins from the lab network' }] },
    });
    expect(JSON.stringify(recs)).not.toContain(PASSWORD);
  });

  it('other addresses log in as before, with no denial recorded', async () => {
    const before = auditRecords(hub).length;
    await login(hub, 'alice');
    expect(auditRecords(hub).slice(before).map((r) => r.event)).toEqual(['authentication_success']);
  });
});

describe('users whose hashes differ in scrypt cost', () => {
  it('the hub warns at start that cheaper users answer faster than unknown names, naming the dummy parameters', async () => {
    const dear = await hashPassword(PASSWORD, { N: 4096, r: 8, p: 1 });
    const hub = await hubWith({ cheap: { passwordHash }, dear: { passwordHash: dear } });
    const m = await hub.proc.waitForLine(/^.*"message":"the password hashes in security\.authentication\.users use different scrypt costs.*$/m);
    expect(JSON.parse(m[0])).toMatchObject({ level: 'warn', component: 'token-endpoint', dummy: { N: 4096, r: 8, p: 1 } });
  });
});
