// How many audit records one tools/call writes, on the real hub: one per decision. A stateless 2026-07-28
// request is authenticated and decided in the same request; a 2025-11-25 call of an open session only decided.
import { rmSync } from 'node:fs';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords, bearer, openSession, type Rec } from './helpers.js';
import { STATELESS_REVISION } from '../../src/pipeline/authentication/stateless.js';
import { MODERN_PROTOCOL_VERSION } from '../../src/hub/server-info.js';

useProcessCleanup();

const SECRET = 'records-per-call-secret-0123456789-abcdef!!';
let hub: HubProcess;
const lastSeq = (): number => auditRecords(hub).at(-1)?.seq ?? 0;
const since = (seq: number): Rec[] => auditRecords(hub).filter((r) => r.seq > seq);

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, authorization: { enabled: true } },
  });
});
afterAll(async () => {
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
});

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const stateless = async (token: string, name: string, id: number) =>
  rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { text: 'hi' }, _meta: META } },
    headers: { authorization: token, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name, 'user-agent': 'records-test/1' },
  });

const decisionFields = (r: Rec) => ({ event: r.event, user: r.user, sessionId: r.sessionId, ip: r.ip, userAgent: r.userAgent });

describe('audit records per call on hatago serve', () => {
  it('a stateless 2026-07-28 tools/call writes one record, its decision, carrying the authentication', async () => {
    const token = await bearer(SECRET, 'alice', ['user'], { username: 'alice.a' });
    for (const id of [1, 2, 3]) {
      const before = lastSeq();
      const r = await stateless(token, 'fx_echo', id);
      expect(r.status).toBe(200);
      expect(r.json.result.content).toEqual([{ type: 'text', text: 'hi' }]);
      const recs = since(before);
      expect(recs.map((x) => x.event)).toEqual(['permission_granted']);
      // What authentication_success held (user, ip, userAgent, method, roles, username) is in the decision record.
      expect(decisionFields(recs[0]!)).toEqual({ event: 'permission_granted', user: 'alice', sessionId: null, ip: '127.0.0.1', userAgent: 'records-test/1' });
      expect(recs[0]!.metadata).toMatchObject({ method: 'tools/call', server: 'fx', name: 'echo', exposed: 'fx_echo', transport: 'http', roles: ['user'], verified: { method: 'jwt', username: 'alice.a' } });
      expect(recs[0]!.decisionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(recs[0]!.metadata.input.principal).toMatchObject({ sub: 'alice', username: 'alice.a', roles: ['user'] });
    }
  });

  it('a denied stateless call writes one record, permission_denied, with the authentication and the reasons', async () => {
    const token = await bearer(SECRET, 'carol', ['readonly']);
    const before = lastSeq();
    const r = await stateless(token, 'fx_echo', 4);
    expect(r.status).toBe(403);
    expect(r.json.error.data.code).toBe('ERR_PERMISSION_DENIED');
    const recs = since(before);
    expect(recs.map((x) => x.event)).toEqual(['permission_denied']);
    expect(recs[0]).toMatchObject({ user: 'carol', decisionId: r.json.error.data.decisionId, metadata: { code: 'ERR_PERMISSION_DENIED', roles: ['readonly'], verified: { method: 'jwt' } } });
    expect(recs[0]!.metadata.verified).not.toHaveProperty('username');
    expect(recs[0]!.metadata.reasons[0].rule).toMatch(/^rbac\./);
  });

  it('a stateless request with a bad token still writes authentication_failure, and nothing else', async () => {
    const before = lastSeq();
    const r = await stateless(await bearer('wrong-secret-wrong-secret-wrong-secret!!', 'eve', ['admin']), 'fx_echo', 5);
    expect(r.status).toBe(401);
    expect(r.json.error.data.code).toBe('ERR_TOKEN_INVALID');
    expect(since(before).map((x) => x.event)).toEqual(['authentication_failure']);
  });

  it('2025-11-25: authentication_success once at initialize, then one record per call of the session, without metadata.verified', async () => {
    const token = await bearer(SECRET, 'bob', ['user'], { username: 'bob.b' });
    const before = lastSeq();
    const s = await openSession(hub, { authorization: token });
    const opened = since(before);
    expect(opened.filter((r) => r.event === 'authentication_success')).toHaveLength(1);
    expect(opened.find((r) => r.event === 'authentication_success')).toMatchObject({ user: 'bob', metadata: { method: 'jwt', roles: ['user'], username: 'bob.b' } });
    for (const text of ['a', 'b']) {
      const mark = lastSeq();
      const r = await s.call('fx_echo', { text });
      expect(r.status).toBe(200);
      const recs = since(mark);
      expect(recs.map((x) => x.event)).toEqual(['permission_granted']);
      expect(recs[0]).toMatchObject({ user: 'bob', sessionId: s.sid });
      expect(recs[0]!.metadata).not.toHaveProperty('verified');
    }
  });

  it('the stateless revision the authentication stage checks is the one the hub serves', () => {
    expect(STATELESS_REVISION).toBe(MODERN_PROTOCOL_VERSION);
  });
});
