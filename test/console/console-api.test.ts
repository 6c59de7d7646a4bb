// The security console's HTTP side against a real hub process: off by
// default, its page served with a strict CSP, its API decided by the policy
// (admin:console:read, admin:console:write), every error path with its
// status and code, and no decision data to anyone the policy refuses.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { auditRecords, openSession, rpc } from '../audit/helpers.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { until } from '../helpers/until.js';
import { rawRequest, INITIALIZE, type RawResponse } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { packagePath } from '../../src/util/package-root.js';

useProcessCleanup();

const SECRET = 'console-secret-0123456789-0123456789-0123456789';
const AUTH = { enabled: true, secret: '${E2E_SECRET}', algorithms: ['HS256'] };
const ROLES = {
  viewer: { permissions: ['admin:console:read'] },
  tester: { permissions: ['server:fx:tools:list', 'server:fx:tools:call:echo'] },
  security: { permissions: ['admin:approvals:*'] },
};
let hub: HubProcess;
let off: HubProcess | undefined;

const config = (extra: Record<string, unknown> = {}) => ({
  // delete_file says it is destructive: the shipped policy holds its calls by role user, for role security to decide.
  mcpServers: { fx: fixtureStdio({ FIXTURE_DESTRUCTIVE: '1' }) },
  security: { authentication: AUTH, authorization: { enabled: true, roles: ROLES }, network: { blockedIPs: ['127.0.0.2/32'] }, approval: { destructive: { roles: ['user'], approvers: ['security'] } } },
  policies: { bundle, watch: { debounceMs: 50 } },
  console: { enabled: true, maxStreams: 1, maxInputBytes: 2048, heartbeatSeconds: 1, candidates },
  ...extra,
});

const candidates = mkdtempSync(path.join(tmpdir(), 'hatago-console-candidates-'));
// The active bundle: a copy of the shipped one, which a test then breaks (a rejected reload for the history).
const bundle = path.join(candidates, 'active-bundle.bin');
copyFileSync(packagePath('policies', 'bundle', 'hatago.tar.gz'), bundle);

beforeAll(async () => {
  hub = await startHubProcess(config(), { env: { E2E_SECRET: SECRET } });
});
afterAll(async () => {
  await hub?.stop();
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
  await off?.stop();
  if (off) rmSync(off.dir, { recursive: true, force: true });
  rmSync(candidates, { recursive: true, force: true });
});

const token = (roles: string[], extra: Record<string, unknown> = {}) => hs256Token(SECRET, { sub: `u-${roles.join('-') || 'none'}`, roles, jti: `jti-${roles.join('-')}-${Math.random()}`, ...extra });

function call(path: string, opts: { method?: string; token?: string; body?: unknown; headers?: Record<string, string>; from?: string } = {}): Promise<RawResponse> {
  return rawRequest(`${hub.url}${path}`, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    ...(opts.body !== undefined && { body: opts.body }),
    headers: { ...(opts.token && { authorization: `Bearer ${opts.token}` }), ...opts.headers },
    localAddress: opts.from ?? '127.0.0.1',
  });
}

const errorOf = (res: RawResponse) => ({ status: res.status, code: res.json?.error?.data?.code, message: res.json?.error?.message });

/** A same-origin action with the session's CSRF token. */
async function act(path: string, body: unknown, tok: string): Promise<RawResponse> {
  const session = await call('/console/api/session', { token: tok });
  return call(path, { body, token: tok, headers: { origin: hub.url, 'x-hatago-csrf': session.json.csrf } });
}

/** A denial for the feed: tester calls a tool it may not. */
async function deniedCall(): Promise<string> {
  const tok = await token(['tester'], { email: 'tester@example.com' });
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${tok}` } });
  const sid = init.headers['mcp-session-id'] as string;
  const res = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fx_write_file', arguments: { path: 'x', content: 'y' } } }, headers: { authorization: `Bearer ${tok}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
  return res.json.error.data.decisionId as string;
}

interface StreamEvent {
  event: string;
  data: { id?: string; reason?: string; event?: string; outcome?: string; pending?: number };
}

/** GET /console/api/stream, its events parsed as they come. */
async function openStream(tok: string): Promise<{ events: StreamEvent[]; req: http.ClientRequest; res: http.IncomingMessage }> {
  const events: StreamEvent[] = [];
  let buf = '';
  const req = http.get(`${hub.url}/console/api/stream`, { headers: { authorization: `Bearer ${tok}`, accept: 'text/event-stream' } });
  const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  res.setEncoding('utf8');
  res.on('data', (c: string) => {
    buf += c;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      events.push({ event, data: data ? JSON.parse(data) : {} });
    }
  });
  return { events, req, res };
}

describe('the console is off by default', () => {
  it('a hub without console.enabled answers 404 on /console and /console/api', async () => {
    off = await startHubProcess({ mcpServers: {}, security: { authentication: AUTH, authorization: { enabled: true } } }, { env: { E2E_SECRET: SECRET } });
    const admin = await token(['admin']);
    for (const p of ['/console/', '/console/api/decisions']) {
      const res = await rawRequest(`${off.url}${p}`, { method: 'GET', headers: { authorization: `Bearer ${admin}` } });
      expect({ p, status: res.status }).toEqual({ p, status: 404 });
      expect(res.json).toBeUndefined(); // express's own HTML 404: nothing of the console
    }
  });

  it('config validate refuses console.enabled without authentication, and a missing candidates folder', async () => {
    const { dir, file } = writeConfig({ mcpServers: {}, security: { authentication: { enabled: false } }, console: { enabled: true, candidates: 'nope' } });
    try {
      const r = await runHatago(['config', 'validate', '--config', file], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.output).toContain('console.enabled: the console needs security.authentication.enabled');
      expect(r.output).toContain(`console.candidates: ${path.join(dir, 'nope')} is not a folder`);
      const bad = writeConfig({ mcpServers: {}, console: { enabled: 'yes', maxStreams: 0 } });
      const r2 = await runHatago(['config', 'validate', '--config', bad.file], { cwd: bad.dir });
      rmSync(bad.dir, { recursive: true, force: true });
      expect(r2.code).toBe(1);
      expect(r2.output).toContain('/console/enabled: must be boolean');
      expect(r2.output).toContain('/console/maxStreams: must be >= 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the page', () => {
  it('is served with a strict CSP, no inline script, and names no data', async () => {
    const res = await call('/console/');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBe("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    expect(res.text).toContain('<script type="module" src="/console/app.js"></script>');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    expect(res.text).not.toMatch(/ on[a-z]+=/); // no inline handlers
    expect(res.text).not.toMatch(/https?:\/\//); // no third-party URL
    const bare = await call('/console');
    expect({ status: bare.status, csp: bare.headers['content-security-policy'], same: bare.text === res.text }).toEqual({ status: 200, csp: res.headers['content-security-policy'], same: true });
    const js = await call('/console/app.js');
    expect({ status: js.status, type: js.headers['content-type'] }).toEqual({ status: 200, type: 'text/javascript; charset=utf-8' });
  });

  it('a blocked address gets 403 ERR_NETWORK_DENIED for the page too', async () => {
    expect(errorOf(await call('/console/', { from: '127.0.0.2' }))).toEqual({ status: 403, code: 'ERR_NETWORK_DENIED', message: 'Forbidden: client address not allowed' });
  });

  it('a file that is not one of the page\'s is 404 (no path reaches the file system)', async () => {
    for (const p of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/index.html.bak', '/console/views.js/x']) {
      const res = await call(p);
      expect({ p, status: res.status }).toEqual({ p, status: 404 });
      expect(res.text).not.toContain('"name"');
    }
  });
});

describe('access to the API', () => {
  const reads = ['/console/api/session', '/console/api/overview', '/console/api/decisions', '/console/api/candidates', '/console/api/history', '/console/api/pins', '/console/api/approvals', '/console/api/stream', '/console/api/nothing-here'];

  it('anonymous: 401 ERR_UNAUTHENTICATED with the Bearer challenge, on every read, and no decision data', async () => {
    await deniedCall();
    for (const p of reads) {
      const res = await call(p);
      expect({ p, ...errorOf(res), challenge: res.headers['www-authenticate'] }).toEqual({ p, status: 401, code: 'ERR_UNAUTHENTICATED', message: 'Authentication required', challenge: 'Bearer realm="hatago"' });
      expect(res.text).not.toMatch(/fx_write_file|write_file|rbac\.|u-tester/);
    }
  });

  it('a non-admin token: 403 ERR_PERMISSION_DENIED, audited with the rule, and no decision data', async () => {
    const tok = await token(['tester']);
    const before = auditRecords(hub).length;
    for (const p of reads) {
      const res = await call(p, { token: tok });
      expect({ p, status: res.status, code: res.json.error.data.code, message: res.json.error.message }).toEqual({ p, status: 403, code: 'ERR_PERMISSION_DENIED', message: 'Forbidden: permission denied by policy' });
      expect(res.text).not.toMatch(/write_file|rbac\.|u-tester/);
    }
    const denied = auditRecords(hub).slice(before).filter((r) => r.event === 'permission_denied');
    expect(denied.length).toBe(reads.length);
    expect(denied[0]).toMatchObject({ user: 'u-tester', metadata: { method: 'admin/console', reasons: [{ rule: 'rbac.missing_permission', message: 'no role of ["tester"] grants admin:console:read' }] } });
  });

  it('an admin token narrowed by its scope claim is refused', async () => {
    const res = await call('/console/api/decisions', { token: await token(['admin'], { scope: 'mcp:tools' }) });
    expect({ status: res.status, code: res.json.error.data.code }).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED' });
  });

  it('admin:console:read reads, and cannot act (admin:console:write): 403 ERR_PERMISSION_DENIED', async () => {
    const viewer = await token(['viewer']);
    expect((await call('/console/api/decisions', { token: viewer })).status).toBe(200);
    const res = await act('/console/api/pins/approve', { server: 'fx', kind: 'tool', name: 'echo' }, viewer);
    expect(errorOf(res)).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED', message: 'Forbidden: permission denied by policy' });
  });

  it('an unknown API path is 404 ERR_CONSOLE_NOT_FOUND, once the policy allowed the caller', async () => {
    expect(errorOf(await call('/console/api/nothing-here', { token: await token(['admin']) }))).toEqual({ status: 404, code: 'ERR_CONSOLE_NOT_FOUND', message: 'Not found: no such console API' });
  });
});

describe('decisions', () => {
  it('a denial is listed with its rule, filtered, and opens to its masked input and its rule in the sources', async () => {
    const id = await deniedCall();
    const admin = await token(['admin']);
    const listed = await until('the denial in the feed', async () => {
      const r = await call('/console/api/decisions?outcome=deny&tool=write', { token: admin });
      return (r.json.decisions as { id: string }[]).find((d) => d.id === id);
    });
    expect(listed).toMatchObject({ id, allow: false, code: 'ERR_PERMISSION_DENIED', rules: ['rbac.missing_permission'], method: 'tools/call', server: 'fx', name: 'write_file', user: 'u-tester' });
    expect((await call('/console/api/decisions?outcome=allow&tool=write', { token: admin })).json.decisions.find((d: { id: string }) => d.id === id)).toBeUndefined();
    expect((await call('/console/api/decisions?rule=rate_limit', { token: admin })).json.decisions.find((d: { id: string }) => d.id === id)).toBeUndefined();
    const detail = await call(`/console/api/decisions/${id}`, { token: admin });
    expect(detail.status).toBe(200);
    expect(detail.json.input.principal).toMatchObject({ sub: 'u-tester', roles: ['tester'], claims: { email: '[REDACTED]', jti: expect.stringMatching(/^jti-tester-/) } });
    expect(detail.text).not.toContain('tester@example.com');
    expect(detail.json.reasons[0]).toMatchObject({ rule: 'rbac.missing_permission', message: 'no role of ["tester"] grants server:fx:tools:call:write_file' });
    expect(detail.json.reasons[0].locations).toContainEqual(expect.objectContaining({ file: 'hatago/rbac/rbac.rego', source: expect.stringContaining('"rule": "rbac.missing_permission"') }));
  });

  it('the overview shows the upstream, the active revision, and the request and denial rates from /metrics', async () => {
    await deniedCall();
    const res = await call('/console/api/overview', { token: await token(['admin']) });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      upstreams: [{ id: 'fx', state: 'ready', transport: 'stdio' }],
      breakers: { servers: { fx: { state: 'closed' } } },
      policy: { active: { revision: expect.stringMatching(/^sha256:/), activatedAt: expect.any(String), source: 'file' }, shadow: null },
      streams: { max: 1 },
    });
    expect(res.json.rates.requestsPerSecond).toBeGreaterThan(0);
    expect(res.json.rates.refusedPerSecond).toBeGreaterThan(0);
    expect(res.json.rates.denialsByRule).toContainEqual({ rule: 'rbac.missing_permission', count: expect.any(Number) });
  });

  it('bad filters are 400 ERR_CONSOLE_REQUEST_INVALID; an unknown decision is 404 ERR_CONSOLE_NOT_FOUND', async () => {
    const admin = await token(['admin']);
    expect(errorOf(await call('/console/api/decisions?outcome=maybe', { token: admin }))).toEqual({ status: 400, code: 'ERR_CONSOLE_REQUEST_INVALID', message: 'Invalid console request: outcome must be allow or deny' });
    expect(errorOf(await call('/console/api/decisions?limit=0', { token: admin }))).toEqual({ status: 400, code: 'ERR_CONSOLE_REQUEST_INVALID', message: 'Invalid console request: limit must be an integer from 1 to 500' });
    expect(errorOf(await call('/console/api/decisions/no-such-id', { token: admin }))).toEqual({ status: 404, code: 'ERR_CONSOLE_NOT_FOUND', message: 'Not found: no such decision (or no longer kept)' });
  });
});

describe('actions: CSRF, bodies, bounds', () => {
  it('a POST without Origin, from another origin, or without the CSRF token is 403 ERR_CONSOLE_CSRF, before the policy is asked', async () => {
    const admin = await token(['admin']);
    const session = await call('/console/api/session', { token: admin });
    const body = { input: { stage: 'network' } };
    const before = auditRecords(hub).length;
    const cases: [string, Record<string, string>, string][] = [
      ['no origin', { 'x-hatago-csrf': session.json.csrf }, 'origin'],
      ['cross-site fetch', { origin: hub.url, 'sec-fetch-site': 'cross-site', 'x-hatago-csrf': session.json.csrf }, 'origin'],
      ['no token', { origin: hub.url }, 'token'],
      ['another session\'s token', { origin: hub.url, 'x-hatago-csrf': (await call('/console/api/session', { token: await token(['admin']) })).json.csrf }, 'token'],
    ];
    for (const [what, headers, reason] of cases) {
      const res = await call('/console/api/evaluate', { token: admin, body, headers });
      expect({ what, ...errorOf(res), reason: res.json.error.data.reason }).toEqual({ what, status: 403, code: 'ERR_CONSOLE_CSRF', message: "Forbidden: a console action must come from the console's own origin with the CSRF token of its session", reason });
    }
    // Another origin is refused earlier still, by the network policy (the hub's CORS origins).
    const foreign = await call('/console/api/evaluate', { token: admin, body, headers: { origin: 'https://evil.example', 'x-hatago-csrf': session.json.csrf } });
    expect(errorOf(foreign)).toEqual({ status: 403, code: 'ERR_ORIGIN_DENIED', message: 'Forbidden: origin not allowed' });
    const granted = auditRecords(hub).slice(before).filter((r) => r.event === 'permission_granted' && r.metadata.method !== 'admin/console');
    expect(granted).toEqual([]);
  });

  it('bodies: 415 not JSON, 413 over console.maxInputBytes, 400 not an object or no input', async () => {
    const admin = await token(['admin']);
    const session = await call('/console/api/session', { token: admin });
    const h = { origin: hub.url, 'x-hatago-csrf': session.json.csrf };
    expect(errorOf(await call('/console/api/evaluate', { token: admin, body: 'x=1', headers: { ...h, 'content-type': 'text/plain' } }))).toMatchObject({ status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
    expect(errorOf(await call('/console/api/evaluate', { token: admin, body: { input: { stage: 'network', pad: 'x'.repeat(3000) } }, headers: h }))).toEqual({ status: 413, code: 'ERR_BODY_TOO_LARGE', message: 'Request body too large' });
    expect(errorOf(await call('/console/api/evaluate', { token: admin, body: '[1]', headers: h }))).toEqual({ status: 400, code: 'ERR_CONSOLE_REQUEST_INVALID', message: 'Invalid console request: the body must be a JSON object' });
    expect(errorOf(await call('/console/api/evaluate', { token: admin, body: '{"input":', headers: h }))).toMatchObject({ status: 400, code: 'ERR_PARSE' });
    expect(errorOf(await call('/console/api/evaluate', { token: admin, body: { input: { nothing: 1 } }, headers: h }))).toEqual({ status: 400, code: 'ERR_CONSOLE_REQUEST_INVALID', message: 'Invalid console request: input must be a policy input (with "stage"), a decision-log line ("input") or an audit record ("metadata.input")' });
  });

  it('the Explorer evaluates with the active policy; an unknown candidate is 404, a broken one 422', async () => {
    const admin = await token(['admin']);
    const input = { contract: 2, stage: 'request', transport: 'http', principal: { sub: 'x', roles: ['tester'], claims: {} }, request: { method: 'tools/call', server: 'fx', name: 'write_file' } };
    const ok = await act('/console/api/evaluate', { input }, admin);
    expect(ok.status).toBe(200);
    expect(ok.json.active).toMatchObject({ allow: false, code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'rbac.missing_permission' }], revision: expect.stringMatching(/^sha256:/) });
    expect(errorOf(await act('/console/api/evaluate', { input, candidate: '../etc/passwd' }, admin))).toEqual({ status: 404, code: 'ERR_CONSOLE_NOT_FOUND', message: 'Not found: no such candidate bundle' });
    expect(errorOf(await act('/console/api/evaluate', { input, candidate: 'missing.tar.gz' }, admin))).toEqual({ status: 404, code: 'ERR_CONSOLE_NOT_FOUND', message: 'Not found: no such candidate bundle' });
    writeFileSync(path.join(candidates, 'broken.tar.gz'), 'not a bundle');
    const broken = await act('/console/api/evaluate', { input, candidate: 'broken.tar.gz' }, admin);
    expect(errorOf(broken)).toEqual({ status: 422, code: 'ERR_CONSOLE_CANDIDATE_INVALID', message: 'The candidate bundle could not be loaded' });
    expect(broken.json.error.data).toMatchObject({ candidate: 'broken.tar.gz', reason: expect.any(String) });
    expect(errorOf(await act('/console/api/replay', { candidate: 'missing.tar.gz' }, admin))).toMatchObject({ status: 404, code: 'ERR_CONSOLE_NOT_FOUND' });
  });

  it('pin actions: a bad target is 400, an unknown pin 404', async () => {
    const admin = await token(['admin']);
    expect(errorOf(await act('/console/api/pins/approve', { server: 'fx', kind: 'widget', name: 'echo' }, admin))).toEqual({ status: 400, code: 'ERR_CONSOLE_REQUEST_INVALID', message: 'Invalid console request: a pin action needs server and name (strings) and kind (tool, prompt or resourceTemplate)' });
    expect(errorOf(await act('/console/api/pins/revoke', { server: 'fx', kind: 'tool', name: 'no-such-tool' }, admin))).toEqual({ status: 404, code: 'ERR_CONSOLE_NOT_FOUND', message: 'Not found: no such pin, or nothing to approve' });
  });
});

describe('the live stream', () => {
  it('sends hello, then decisions as they happen, heartbeats, and ends when its token is revoked; a second stream over console.maxStreams is 429 ERR_CONSOLE_STREAM_LIMIT', async () => {
    const admin = await token(['admin']);
    const { events, req, res } = await openStream(admin);
    try {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      await until('hello', async () => events.find((e) => e.event === 'hello'));
      const second = await call('/console/api/stream', { token: admin });
      expect(errorOf(second)).toEqual({ status: 429, code: 'ERR_CONSOLE_STREAM_LIMIT', message: 'Too many console streams open: close one and retry' });
      const id = await deniedCall();
      await until('the denial on the stream', async () => events.find((e) => e.event === 'decision' && e.data.id === id));
      await until('a heartbeat', async () => events.find((e) => e.event === 'heartbeat'));
      // Logged out (its jti revoked): the next heartbeat's check ends the stream.
      expect((await call('/auth/logout', { method: 'POST', token: admin })).status).toBe(204);
      const end = await until('the end of the stream', async () => events.find((e) => e.event === 'end'));
      expect(end.data).toEqual({ reason: 'token revoked' });
      await until('the stream closed', async () => (res.complete ? true : undefined));
    } finally {
      req.destroy();
    }
  });
});

describe('approvals', () => {
  it('an unknown id is 404 ERR_APPROVAL_NOT_FOUND to a caller who may list approvals, 403 to one who may not', async () => {
    const notFound = await act('/console/api/approvals/no-such-id', { decision: 'approve' }, await token(['admin']));
    expect(errorOf(notFound)).toEqual({ status: 404, code: 'ERR_APPROVAL_NOT_FOUND', message: 'No pending approval has this id (decided, expired or never held)' });
    expect(notFound.headers['content-security-policy']).toBeDefined();
    const probe = await act('/console/api/approvals/no-such-id', { decision: 'approve' }, await token(['viewer']));
    expect(errorOf(probe)).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED', message: 'Forbidden: permission denied by policy' });
  });

  it('a held call: a notice on the stream, listed to admin:approvals:read only; its verdict needs Origin and CSRF token, then the policy (an approver), and is audited out of band', async () => {
    const admin = await token(['admin']);
    const approver = await token(['security', 'viewer']);
    const { events, req } = await openStream(admin);
    try {
      await until('hello', async () => events.find((e) => e.event === 'hello'));
      const s = await openSession(hub, { authorization: `Bearer ${await token(['user'])}` });
      const held = s.call('fx_delete_file', { path: '/srv/console' });
      const notice = await until('the held notice', async () => events.find((e) => e.event === 'approvals' && e.data.event === 'held'));
      const id = notice.data.id!;
      expect(notice.data).toEqual({ event: 'held', id: expect.stringMatching(/^[0-9a-f-]{36}$/), pending: 1 });

      // Reading the console is not enough to see held calls.
      const viewer = await call('/console/api/approvals', { token: await token(['viewer']) });
      expect(errorOf(viewer)).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED', message: 'Forbidden: permission denied by policy' });
      expect(viewer.text).not.toMatch(/srv\/console|delete_file/);
      const denied = auditRecords(hub).filter((r) => r.event === 'permission_denied' && r.metadata.method === 'admin/approvals');
      expect(denied.at(-1)).toMatchObject({ user: 'u-viewer', metadata: { reasons: [{ rule: 'rbac.missing_permission', message: 'no role of ["viewer"] grants admin:approvals:read' }] } });
      const listed = await call('/console/api/approvals', { token: admin });
      expect(listed.status).toBe(200);
      expect(listed.json.approvals).toEqual([expect.objectContaining({
        id, requestedBy: 'u-user', method: 'tools/call', server: 'fx', name: 'fx_delete_file', approvers: ['security'], rules: ['approval.destructive'],
        channel: 'out_of_band', reason: 'tool fx_delete_file says it is destructive (destructiveHint)', arguments: { path: '/srv/console' }, argumentsDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        expiresAt: expect.any(String),
      })]);
      // The held call's session id is not shown (an anonymous session's id is all it takes to use it).
      expect(listed.text).not.toContain(s.sid);

      // CSRF: refused before the policy is asked; the call stays held.
      const session = await call('/console/api/session', { token: approver });
      const before = auditRecords(hub).length;
      const cases: [string, Record<string, string>, string][] = [
        ['no origin', { 'x-hatago-csrf': session.json.csrf }, 'origin'],
        ['cross-site fetch', { origin: hub.url, 'sec-fetch-site': 'cross-site', 'x-hatago-csrf': session.json.csrf }, 'origin'],
        ['no token', { origin: hub.url }, 'token'],
        ['another session\'s token', { origin: hub.url, 'x-hatago-csrf': (await call('/console/api/session', { token: admin })).json.csrf }, 'token'],
      ];
      for (const [what, headers, reason] of cases) {
        const res = await call(`/console/api/approvals/${id}`, { token: approver, body: { decision: 'approve' }, headers });
        expect({ what, ...errorOf(res), reason: res.json.error.data.reason }).toEqual({ what, status: 403, code: 'ERR_CONSOLE_CSRF', message: "Forbidden: a console action must come from the console's own origin with the CSRF token of its session", reason });
      }
      expect(auditRecords(hub).slice(before).filter((r) => typeof r.metadata?.method === 'string' && r.metadata.method.startsWith('admin/approvals'))).toEqual([]);

      // An admin who is not one of the call's approvers: the policy refuses, with its rule.
      const refused = await act(`/console/api/approvals/${id}`, { decision: 'approve' }, admin);
      expect(errorOf(refused)).toEqual({ status: 403, code: 'ERR_PERMISSION_DENIED', message: 'Forbidden: permission denied by policy' });
      const notApprover = auditRecords(hub).filter((r) => r.event === 'permission_denied' && r.metadata.method === 'admin/approvals/decide');
      expect(notApprover).toHaveLength(1);
      expect(notApprover[0]).toMatchObject({ user: 'u-admin', metadata: { reasons: [{ rule: 'approval.not_an_approver', message: 'approvers are ["security"]; the principal holds ["admin"]' }] } });
      expect((await call('/console/api/approvals', { token: admin })).json.approvals.map((a: { id: string }) => a.id)).toEqual([id]);

      // The approver: a bad body is 400, then Approve lets the held call go on.
      expect(errorOf(await act(`/console/api/approvals/${id}`, { decision: 'maybe' }, approver))).toEqual({ status: 400, code: 'ERR_APPROVAL_REQUEST_INVALID', message: 'Invalid approval decision: the body must be a JSON object with decision "approve" or "deny" and an optional note' });
      const ok = await act(`/console/api/approvals/${id}`, { decision: 'approve', note: 'checked in the console' }, approver);
      expect({ status: ok.status, body: ok.json, csp: typeof ok.headers['content-security-policy'] }).toEqual({ status: 200, body: { id, outcome: 'approved' }, csp: 'string' });
      const answer = await held;
      expect(answer.status).toBe(200);
      expect(rpc(answer).result).toMatchObject({ content: [{ type: 'text', text: 'deleted /srv/console' }] });
      const granted = await until('approval_granted', async () => auditRecords(hub).find((r) => r.event === 'approval_granted' && r.metadata.approvalId === id));
      expect(granted).toMatchObject({ user: 'u-user', metadata: { outcome: 'approved', by: 'u-security-viewer', channel: 'out_of_band', note: 'checked in the console', server: 'fx', name: 'fx_delete_file', argumentsDigest: listed.json.approvals[0].argumentsDigest } });
      const ended = await until('the ended notice', async () => events.find((e) => e.event === 'approvals' && e.data.event === 'ended'));
      expect(ended.data).toEqual({ event: 'ended', id, outcome: 'approved', pending: 0 });

      // Decided: nothing is pending any more.
      expect(errorOf(await act(`/console/api/approvals/${id}`, { decision: 'deny' }, approver))).toEqual({ status: 404, code: 'ERR_APPROVAL_NOT_FOUND', message: 'No pending approval has this id (decided, expired or never held)' });
      expect((await call('/console/api/approvals', { token: admin })).json).toEqual({ approvals: [] });
    } finally {
      req.destroy();
    }
  });
});

describe('policy history', () => {
  it('starts with the start-up activation and records a rejected reload (the active policy stays)', async () => {
    const admin = await token(['admin']);
    const first = await call('/console/api/history', { token: admin });
    expect(first.json.history).toEqual([expect.objectContaining({ event: 'policy_activated', revision: first.json.active, source: `file:${bundle}` })]);
    writeFileSync(bundle, 'not a bundle any more');
    const rejected = await until('the rejection in the history', async () => {
      const r = await call('/console/api/history', { token: admin });
      return (r.json.history as { event: string }[]).find((e) => e.event === 'policy_rejected');
    });
    expect(rejected).toMatchObject({ event: 'policy_rejected', revision: first.json.active, code: 'ERR_BUNDLE_INVALID', reason: expect.any(String) });
    expect((await call('/console/api/history', { token: admin })).json.active).toBe(first.json.active);
  });
});

describe('the pin store', () => {
  it('an unreadable store is 503 ERR_PIN_STORE_UNAVAILABLE for the Pins view and its actions', async () => {
    const admin = await token(['admin']);
    const file = path.join(hub.dir, 'data', 'pins.json');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, '{ not json');
    try {
      const view = await call('/console/api/pins', { token: admin });
      expect({ status: view.status, code: view.json.error.data.code }).toEqual({ status: 503, code: 'ERR_PIN_STORE_UNAVAILABLE' });
      expect(view.json.error.message).toMatch(/^pin store .*pins\.json is not JSON/);
      const approve = await act('/console/api/pins/approve', { server: 'fx', kind: 'tool', name: 'echo' }, admin);
      expect({ status: approve.status, code: approve.json.error.data.code }).toEqual({ status: 503, code: 'ERR_PIN_STORE_UNAVAILABLE' });
    } finally {
      writeFileSync(file, good);
    }
    const back = await call('/console/api/pins', { token: admin });
    expect(back.status).toBe(200);
    expect(back.json.pending).toContainEqual(expect.objectContaining({ server: 'fx', kind: 'tool', name: 'echo', status: 'new' }));
  });
});
