// Each audit event, produced by the real hub process (`hatago serve`), and
// written before the response: every check reads the trail right after the
// answer arrived.
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords, bearer, openSession, rpc, type Rec } from './helpers.js';

useProcessCleanup();

const SECRET = 'audit-events-secret-0123456789-abcdefghij!!';
let hub: HubProcess;

const since = (seq: number): Rec[] => auditRecords(hub).filter((r) => r.seq > seq);
const lastSeq = (): number => auditRecords(hub).at(-1)?.seq ?? 0;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      authorization: { enabled: true },
      network: { blockedIPs: ['127.0.0.3'] },
      // Small thresholds so a burst is a handful of requests.
      suspicious: { authFailures: 3, denials: 3, cooldownMs: 3600000, windowMs: 600000, block: { authFailures: 5, durationMs: 600000 } },
    },
  });
});

afterAll(async () => {
  await hub.stop();
});

describe('audit events from hatago serve', () => {
  it('authentication_success once per session (at initialize), with the guide fields', async () => {
    const before = lastSeq();
    const s = await openSession(hub, { authorization: await bearer(SECRET, 'alice', ['user'], { username: 'alice.a' }), 'user-agent': 'audit-test/1.0' });
    await s.request('tools/list');
    const recs = since(before).filter((r) => r.event.startsWith('authentication'));
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({
      event: 'authentication_success',
      level: 'info',
      component: 'security-audit',
      user: 'alice',
      ip: '127.0.0.1',
      userAgent: 'audit-test/1.0',
      metadata: { method: 'jwt', roles: ['user'], username: 'alice.a' },
    });
    expect(typeof (recs[0] as unknown as { timestamp: string }).timestamp).toBe('string');
  });

  it('permission_granted and permission_denied with decisionId, revision and reasons', async () => {
    const user = await openSession(hub, { authorization: await bearer(SECRET, 'bob', ['user']) });
    const before = lastSeq();
    const ok = await user.call('fx_echo', { text: 'hi' });
    expect(ok.status).toBe(200);
    const granted = since(before);
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ event: 'permission_granted', user: 'bob', sessionId: user.sid, metadata: { method: 'tools/call', server: 'fx', name: 'echo', exposed: 'fx_echo' } });
    expect(granted[0]!.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof granted[0]!.revision).toBe('string');

    const ro = await openSession(hub, { authorization: await bearer(SECRET, 'carol', ['readonly']) });
    const mark = lastSeq();
    const denied = await ro.call('fx_echo', { text: 'no' });
    expect(denied.status).toBe(403);
    const body = rpc(denied);
    expect(body.error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    const recs = since(mark).filter((r) => r.event === 'permission_denied');
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ level: 'warn', user: 'carol', decisionId: body.error?.data?.decisionId, metadata: { code: 'ERR_PERMISSION_DENIED' } });
    expect(recs[0]!.metadata.reasons[0].rule).toMatch(/^rbac\./);
  });

  it('authentication_failure for a bad token (no user)', async () => {
    const before = lastSeq();
    const r = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: await bearer('wrong-secret-wrong-secret-wrong-secret!!', 'eve', ['admin']) } });
    expect(r.status).toBe(401);
    const recs = since(before);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ event: 'authentication_failure', level: 'warn', user: null, ip: '127.0.0.1', metadata: { method: 'jwt', code: 'ERR_TOKEN_INVALID' } });
  });

  it('network_denied for a blocked address, before authentication', async () => {
    const before = lastSeq();
    const r = await rawRequest(hub.mcpUrl, { body: INITIALIZE, localAddress: '127.0.0.3' });
    expect(r.status).toBe(403);
    expect(rpc(r).error?.data?.code).toBe('ERR_NETWORK_DENIED');
    const recs = since(before);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ event: 'network_denied', ip: '127.0.0.3', decisionId: rpc(r).error?.data?.decisionId, metadata: { code: 'ERR_NETWORK_DENIED' } });
  });

  it('suspicious_activity once per burst of authentication failures, then a block (ERR_CLIENT_BLOCKED)', async () => {
    const before = lastSeq();
    const bad = await bearer('wrong-secret-wrong-secret-wrong-secret!!', 'mallory', ['admin']);
    const attempt = () => rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: bad }, localAddress: '127.0.0.2' });
    for (let i = 1; i <= 4; i++) expect((await attempt()).status).toBe(401);
    let suspicious = since(before).filter((r) => r.event === 'suspicious_activity');
    expect(suspicious).toHaveLength(1); // at the 3rd failure, not again at the 4th
    expect(suspicious[0]).toMatchObject({ ip: '127.0.0.2', level: 'warn', metadata: { scope: 'ip', subject: '127.0.0.2', counts: { failures: 3 }, trigger: 'authentication_failure' } });
    expect(suspicious[0]!.decisionId).toBeDefined();

    expect((await attempt()).status).toBe(401); // 5th: the policy blocks the address
    suspicious = since(before).filter((r) => r.event === 'suspicious_activity');
    expect(suspicious).toHaveLength(2);
    expect(suspicious[1]).toMatchObject({ metadata: { action: 'blocked', subject: '127.0.0.2' } });

    const mark = lastSeq();
    const blocked = await attempt();
    expect(blocked.status).toBe(403);
    expect(rpc(blocked).error?.data?.code).toBe('ERR_CLIENT_BLOCKED');
    const recs = since(mark);
    expect(recs.map((r) => r.event)).toEqual(['network_denied']);
    expect(recs[0]!.metadata.reasons[0].rule).toBe('suspicious.blocked');
    // Another address is not blocked.
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: await bearer(SECRET, 'dave', ['user']) } })).status).toBe(200);
  });

  it('suspicious_activity for repeated denials of one user', async () => {
    const before = lastSeq();
    const ro = await openSession(hub, { authorization: await bearer(SECRET, 'frank', ['readonly']) }, '127.0.0.4');
    for (let i = 0; i < 4; i++) expect((await ro.call('fx_echo', { text: 'x' })).status).toBe(403);
    const suspicious = since(before).filter((r) => r.event === 'suspicious_activity');
    // The address and the user both passed 3 denials: one event each, once.
    expect(suspicious.map((r) => r.metadata.scope).sort()).toEqual(['ip', 'user']);
    expect(suspicious.find((r) => r.metadata.scope === 'user')).toMatchObject({ user: 'frank', metadata: { subject: 'frank', counts: { denials: 3 } } });
  });

  it('the trail verifies (hatago audit verify --config)', async () => {
    const r = await runHatago(['audit', 'verify', '--config', 'hatago.config.json'], { cwd: hub.dir });
    expect(r.output.trim()).toBe(`ok: ${auditRecords(hub).length} records`);
    expect(r.code).toBe(0);
  });
});
