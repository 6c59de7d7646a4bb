// Approval as a policy outcome, end to end: a real hub process, the fixture
// upstream's destructive tool, real SDK clients (one answering the
// elicitation), the `hatago approvals` CLI from another process, the admin
// endpoint's error paths, and the audit trail linking every step.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { rawRequest } from '../helpers/http-client.js';
import { auditRecords, bearer, openSession, rpc, type Rec } from '../audit/helpers.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();

const SECRET = 'approval-test-secret-0123456789abcdef';
const hubs: HubProcess[] = [];
const clients: Client[] = [];

async function hub(security: Record<string, unknown> = {}): Promise<HubProcess> {
  const h = await startHubProcess({
    mcpServers: { fx: fixtureStdio({ FIXTURE_DESTRUCTIVE: '1' }) },
    security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, ...security },
  });
  hubs.push(h);
  return h;
}

async function client(h: HubProcess, sub: string, roles: string[], onElicit?: (req: ElicitRequest) => Record<string, unknown>): Promise<Client> {
  const c = new Client({ name: 'approval-test', version: '1.0.0' }, { capabilities: onElicit ? { elicitation: {} } : {} });
  if (onElicit) c.setRequestHandler(ElicitRequestSchema, async (req) => onElicit(req) as never);
  await c.connect(new StreamableHTTPClientTransport(new URL(h.mcpUrl), { requestInit: { headers: { Authorization: await bearer(SECRET, sub, roles) } } }));
  clients.push(c);
  return c;
}

const events = (h: HubProcess, name: string): Rec[] => auditRecords(h).filter((r) => r.event === name);
const approvalsCli = async (h: HubProcess, args: string[], token: string) => runHatago(['approvals', ...args, '--url', h.url], { env: { HATAGO_AUTH_TOKEN: token } });
const adminToken = async () => (await bearer(SECRET, 'ops', ['admin'])).slice(7);

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const h of hubs.splice(0)) await stopAndRemove(h);
});

describe('approval as a policy outcome', () => {
  test('the caller approves by elicitation: the call goes on with its arguments, every step audited under one decision id', async () => {
    const h = await hub();
    const asked: ElicitRequest['params'][] = [];
    const c = await client(h, 'u-1', ['user'], (req) => {
      asked.push(req.params);
      return { action: 'accept', content: { decision: 'approve' } };
    });
    const result = await c.callTool({ name: 'fx_delete_file', arguments: { path: '/tmp/x' } });
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'deleted /tmp/x' }] });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toBe('Approve fx_delete_file on fx? tool fx_delete_file says it is destructive (destructiveHint)');
    expect((asked[0] as { requestedSchema?: unknown }).requestedSchema).toEqual({ type: 'object', properties: { decision: { type: 'string', title: 'Decision', enum: ['approve', 'deny'] } }, required: ['decision'] });

    const requested = await until('approval_granted', () => events(h, 'approval_granted')[0]);
    const held = events(h, 'approval_requested');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ user: 'u-1', metadata: { code: 'ERR_APPROVAL_REQUIRED', approval: { approvers: [], timeoutS: 300, rules: ['approval.destructive'] } } });
    expect(requested).toMatchObject({ decisionId: held[0]!.decisionId, user: 'u-1', metadata: { outcome: 'approved', by: 'u-1', channel: 'client', server: 'fx', name: 'fx_delete_file' } });
    expect(requested.metadata.argumentsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Nothing is left pending.
    const list = await approvalsCli(h, ['list', '--json'], await adminToken());
    expect(list.code).toBe(0);
    expect(JSON.parse(list.output)).toEqual([]);
  });

  test('the caller declines: ERR_APPROVAL_DENIED, and the upstream never sees the call', async () => {
    const h = await hub();
    const c = await client(h, 'u-1', ['user'], () => ({ action: 'decline' }));
    const err = await c.callTool({ name: 'fx_delete_file', arguments: { path: '/tmp/y' } }).then(() => undefined, (e: unknown) => e as { code: number; message: string; data?: { code?: string } });
    expect(err?.code).toBe(-32003);
    expect(err?.message).toContain('Forbidden: the call was not approved');
    expect(err?.data?.code).toBe('ERR_APPROVAL_DENIED');
    const denied = await until('approval_denied', () => events(h, 'approval_denied')[0]);
    expect(denied).toMatchObject({ level: 'warn', metadata: { outcome: 'denied', channel: 'client', note: 'decline' } });
    expect(h.proc.output()).not.toContain('"tool":"delete_file"');
  });

  test('a client that cannot be asked waits for `hatago approvals approve` from another process; deny ends the next one', async () => {
    const h = await hub();
    const s = await openSession(h, { authorization: await bearer(SECRET, 'u-2', ['user']) });
    const token = await adminToken();
    const pendingCall = s.call('fx_delete_file', { path: '/srv/a' });
    const listed = await until('a held call', async () => {
      const out = await approvalsCli(h, ['list', '--json'], token);
      const items = JSON.parse(out.output) as { id: string; requestedBy: string; channel: string; arguments: unknown; argumentsDigest: string }[];
      return items.length > 0 ? items[0] : undefined;
    });
    expect(listed).toMatchObject({ requestedBy: 'u-2', channel: 'out_of_band', arguments: { path: '/srv/a' } });
    expect(listed).not.toHaveProperty('sessionId');
    const human = await approvalsCli(h, ['list'], token);
    expect(human.output).toContain(`${listed.id}  fx/fx_delete_file  by u-2  via out_of_band  approvers the caller`);
    const approved = await approvalsCli(h, ['approve', listed.id, '--note', 'checked'], token);
    expect(approved).toEqual({ code: 0, output: `${listed.id} approved` });
    const answer = await pendingCall;
    expect(answer.status).toBe(200);
    expect(rpc(answer).result).toMatchObject({ content: [{ type: 'text', text: 'deleted /srv/a' }] });
    const granted = events(h, 'approval_granted')[0]!;
    expect(granted.metadata).toMatchObject({ approvalId: listed.id, by: 'ops', channel: 'out_of_band', note: 'checked', argumentsDigest: listed.argumentsDigest });

    const second = s.call('fx_delete_file', { path: '/srv/b' });
    const next = await until('the second held call', async () => {
      const items = JSON.parse((await approvalsCli(h, ['list', '--json'], token)).output) as { id: string }[];
      return items[0];
    });
    expect((await approvalsCli(h, ['deny', next.id], token)).code).toBe(0);
    const refused = rpc(await second);
    expect(refused.error).toMatchObject({ code: -32003, data: { code: 'ERR_APPROVAL_DENIED' } });
    expect(events(h, 'approval_denied')[0]!.metadata).toMatchObject({ approvalId: next.id, by: 'ops', outcome: 'denied' });
  });

  test('a stateless 2026-07-28 client cannot be asked: it waits out of band, even when it declares elicitation', async () => {
    const h = await hub();
    const c = new ModernClient({ name: 'approval-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {} } });
    await c.connect(new ModernTransport(new URL(h.mcpUrl), { requestInit: { headers: { Authorization: await bearer(SECRET, 'u-7', ['user']) } } }));
    clients.push(c as unknown as Client);
    const call = c.callTool({ name: 'fx_delete_file', arguments: { path: '/srv/m' } });
    const token = await adminToken();
    const item = await until('the held call', async () => (JSON.parse((await approvalsCli(h, ['list', '--json'], token)).output) as { id: string; channel: string; requestedBy: string }[])[0]);
    expect(item).toMatchObject({ channel: 'out_of_band', requestedBy: 'u-7' });
    expect((await approvalsCli(h, ['approve', item.id], token)).code).toBe(0);
    expect(await call).toMatchObject({ content: [{ type: 'text', text: 'deleted /srv/m' }] });
  });

  test('no approval in time: ERR_APPROVAL_TIMEOUT, audited', async () => {
    const h = await hub({ approval: { destructive: { roles: ['user'], timeout_s: 1 } } });
    const s = await openSession(h, { authorization: await bearer(SECRET, 'u-3', ['user']) });
    const r = await s.call('fx_delete_file', { path: '/srv/c' });
    expect(r.status).toBe(403);
    const body = rpc(r) as { error?: { code: number; message: string; data?: { code?: string; decisionId?: string } } };
    expect(body.error).toMatchObject({ code: -32003, message: 'Forbidden: no approval arrived in time', data: { code: 'ERR_APPROVAL_TIMEOUT' } });
    expect(events(h, 'approval_timeout')[0]).toMatchObject({ decisionId: body.error!.data!.decisionId, metadata: { outcome: 'timeout', by: null } });
  });

  test('named approvers: an admin without the role is refused by the policy; calls past the per-principal bound get ERR_APPROVAL_LIMIT', async () => {
    const h = await hub({
      approval: { destructive: { roles: ['user'], approvers: ['security'] }, maxPerPrincipal: 1 },
      authorization: { roles: { security: { permissions: ['admin:approvals:*'] } } },
    });
    const s = await openSession(h, { authorization: await bearer(SECRET, 'u-4', ['user']) });
    const first = s.call('fx_delete_file', { path: '/srv/d' });
    const admin = await adminToken();
    const item = await until('the held call', async () => (JSON.parse((await approvalsCli(h, ['list', '--json'], admin)).output) as { id: string; approvers: string[] }[])[0]);
    expect(item.approvers).toEqual(['security']);

    const over = await s.call('fx_delete_file', { path: '/srv/e' });
    expect(over.status).toBe(429);
    expect(rpc(over).error).toMatchObject({ code: -32029, data: { code: 'ERR_APPROVAL_LIMIT' } });

    const refused = await approvalsCli(h, ['approve', item.id], admin);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('answered 403: Forbidden: permission denied by policy');
    const security = (await bearer(SECRET, 'sec-1', ['security'])).slice(7);
    expect((await approvalsCli(h, ['approve', item.id], security)).code).toBe(0);
    expect(rpc(await first).result).toMatchObject({ content: [{ type: 'text', text: 'deleted /srv/d' }] });
    const deniedDecision = events(h, 'permission_denied').find((r) => r.metadata.method === 'admin/approvals/decide');
    expect(deniedDecision?.metadata.reasons).toEqual([{ rule: 'approval.not_an_approver', message: 'approvers are ["security"]; the principal holds ["admin"]' }]);
  });

  test('authorization off: a caller without an approvals grant cannot approve its own held call', async () => {
    const h = await hub({ authorization: { enabled: false }, approval: { destructive: { roles: ['*'] } } });
    const mine = { authorization: await bearer(SECRET, 'mallory', ['user']) };
    const s = await openSession(h, mine);
    const held = s.call('fx_delete_file', { path: '/srv/z' });
    const item = await until('the held call', async () => (JSON.parse((await approvalsCli(h, ['list', '--json'], await adminToken())).output) as { id: string }[])[0]);
    const list = await rawRequest(`${h.url}/admin/approvals`, { method: 'GET', headers: mine });
    expect(list.status).toBe(403);
    expect(list.text).not.toContain(item.id);
    const self = await rawRequest(`${h.url}/admin/approvals/${item.id}`, { body: { decision: 'approve' }, headers: mine });
    expect(self.status).toBe(403);
    expect(self.json).toMatchObject({ error: { code: -32003, data: { code: 'ERR_PERMISSION_DENIED' } } });
    const rec = auditRecords(h).find((r) => r.event === 'permission_denied' && r.metadata.method === 'admin/approvals/decide')!;
    expect(rec.metadata.reasons).toEqual([{ rule: 'approval.admin_required', message: 'admin/approvals/decide needs a role granting admin:approvals:write, authorization on or off' }]);
    expect((await approvalsCli(h, ['deny', item.id], await adminToken())).code).toBe(0);
    expect(rpc(await held).error).toMatchObject({ data: { code: 'ERR_APPROVAL_DENIED' } });
  });

  test('the admin endpoint: exact errors for anonymous, non-admin, unknown ids and bad bodies', async () => {
    const h = await hub();
    const url = `${h.url}/admin/approvals`;
    const anon = await rawRequest(url, { method: 'GET' });
    expect(anon.status).toBe(401);
    expect(anon.json).toMatchObject({ error: { code: -32001, message: 'Authentication required', data: { code: 'ERR_UNAUTHENTICATED' } } });

    const user = await rawRequest(url, { method: 'GET', headers: { authorization: await bearer(SECRET, 'u-5', ['user']) } });
    expect(user.status).toBe(403);
    expect(user.json).toMatchObject({ error: { code: -32003, message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED' } } });
    expect(user.text).not.toContain('approvals');

    const admin = { authorization: await bearer(SECRET, 'ops', ['admin']) };
    const unknown = await rawRequest(`${url}/no-such-id`, { body: { decision: 'approve' }, headers: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: -32600, message: 'No pending approval has this id (decided, expired or never held)', data: { code: 'ERR_APPROVAL_NOT_FOUND' } } });
    // A non-admin learns nothing of which ids exist.
    const probe = await rawRequest(`${url}/no-such-id`, { body: { decision: 'approve' }, headers: { authorization: await bearer(SECRET, 'u-5', ['user']) } });
    expect(probe.status).toBe(403);

    const s = await openSession(h, { authorization: await bearer(SECRET, 'u-6', ['user']) });
    const held = s.call('fx_delete_file', { path: '/srv/f' });
    const item = await until('the held call', async () => {
      const r = await rawRequest(url, { method: 'GET', headers: admin });
      return (r.json as { approvals: { id: string }[] }).approvals[0];
    });
    const bad = await rawRequest(`${url}/${item.id}`, { body: { decision: 'maybe' }, headers: admin });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: -32600, data: { code: 'ERR_APPROVAL_REQUEST_INVALID' } } });
    const deny = await rawRequest(`${url}/${item.id}`, { body: { decision: 'deny', note: 'no' }, headers: admin });
    expect(deny.status).toBe(200);
    expect(deny.json).toEqual({ id: item.id, outcome: 'denied' });
    expect(rpc(await held).error).toMatchObject({ data: { code: 'ERR_APPROVAL_DENIED' } });
  });
});
