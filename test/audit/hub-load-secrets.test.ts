// The audit trail of the real hub under concurrent load (exactly one record
// per decision), failing closed when its file cannot be written, and a full
// session whose secrets appear in no file the hub wrote.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords, bearer, filesUnder, openSession, rpc } from './helpers.js';

useProcessCleanup();

const SECRET = 'load-secret-0123456789-abcdefghij-0123456789!!';

describe('under concurrent load', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      // No denial budgets: u4's 60 denials must each be decided and recorded here (budgets: test/server/rate-limits.test.ts).
      security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, authorization: { enabled: true }, rateLimit: { denialLimits: [] } },
      // Every call of the burst on its own connection, from one address: past the default per-address cap (docs/server-limits.md).
      http: { maxConnectionsPerIp: 1024 },
    });
  });
  afterAll(() => hub.stop());

  it('writes exactly one permission record per request, from several clients, and the chain verifies', async () => {
    const clients = await Promise.all(['u1', 'u2', 'u3', 'u4'].map(async (sub) => openSession(hub, { authorization: await bearer(SECRET, sub, [sub === 'u4' ? 'readonly' : 'user']) })));
    const before = auditRecords(hub).length;
    const PER_CLIENT = 60;
    const responses = await Promise.all(clients.flatMap((c) => Array.from({ length: PER_CLIENT }, (_, i) => c.call('fx_echo', { text: `m${i}` }))));
    const N = clients.length * PER_CLIENT;
    expect(responses).toHaveLength(N);
    const denied = responses.filter((r) => r.status === 403);
    expect(denied).toHaveLength(PER_CLIENT); // u4 is readonly
    expect(responses.filter((r) => r.status === 200)).toHaveLength(N - PER_CLIENT);

    const recs = auditRecords(hub).slice(before).filter((r) => r.event.startsWith('permission_') && r.metadata.method === 'tools/call');
    expect(recs).toHaveLength(N);
    expect(new Set(recs.map((r) => r.decisionId)).size).toBe(N);
    for (const sub of ['u1', 'u2', 'u3']) expect(recs.filter((r) => r.user === sub && r.event === 'permission_granted')).toHaveLength(PER_CLIENT);
    const deniedIds = new Set(denied.map((r) => rpc(r).error?.data?.decisionId));
    expect(new Set(recs.filter((r) => r.event === 'permission_denied').map((r) => r.decisionId))).toEqual(deniedIds);

    const v = await runHatago(['audit', 'verify', '--file', path.join(hub.dir, 'logs', 'audit.log')]);
    expect(v.output.trim()).toBe(`ok: ${auditRecords(hub).length} records`);
  });

  it('fails requests closed (503 ERR_AUDIT_UNAVAILABLE) while the audit file cannot be written', async () => {
    const s = await openSession(hub, { authorization: await bearer(SECRET, 'u9', ['user']) });
    const file = path.join(hub.dir, 'logs', 'audit.log');
    rmSync(file);
    mkdirSync(file); // the path is a folder now: no record can be appended
    try {
      const call = await s.call('fx_echo', { text: 'must not pass' });
      expect(call.status).toBe(503);
      expect(rpc(call).error?.data?.code).toBe('ERR_AUDIT_UNAVAILABLE');
      const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: await bearer(SECRET, 'u10', ['user']) } });
      expect(init.status).toBe(503);
      expect(rpc(init).error?.data?.code).toBe('ERR_AUDIT_UNAVAILABLE');
      const bad = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: 'Bearer not-a-token' } });
      expect(bad.status).toBe(503);
    } finally {
      rmSync(file, { recursive: true });
    }
    // Writable again: requests pass and are recorded in a fresh file.
    expect((await s.call('fx_echo', { text: 'ok' })).status).toBe(200);
    expect(auditRecords(hub).map((r) => r.event)).toEqual(['permission_granted']);
  });
});

describe('a full session leaves no secret in any file the hub wrote', () => {
  const JWT_SECRET = 'jwt-signing-secret-Zx81-0123456789-abcdef!!';
  const ENV_SECRET = 'upstream-env-value-Qw93Lp';
  const PASSWORD = 'Hunter2-Pa55word-Kv7';
  const SK_KEY = `sk-${'Ab3dE6gH9k'.repeat(4)}`;
  const CARD = '4111-2222-3333-4444';
  let hub: HubProcess;
  let tokens: string[];

  beforeAll(async () => {
    hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio({ FIXTURE_SECRET: ENV_SECRET }) },
      logging: { level: 'debug' },
      security: { authentication: { enabled: true, secret: JWT_SECRET, algorithms: ['HS256'] }, authorization: { enabled: true } },
    });
    tokens = [await bearer(JWT_SECRET, 'sam', ['user']), await bearer('some-other-secret-some-other-secret!!', 'sam', ['admin']), await bearer(JWT_SECRET, 'ro', ['readonly'])];
  });

  it('masks tokens, passwords, tool arguments and upstream env values everywhere', async () => {
    const s = await openSession(hub, { authorization: tokens[0]!, cookie: `session=${PASSWORD}` });
    expect((await s.call('fx_stderr', { text: `password=${PASSWORD} key ${SK_KEY} card ${CARD} token ${tokens[0]!.slice(7)}` })).status).toBe(200);
    // A bare word cannot be told from a password; as an assignment, a key or a card number it can.
    expect((await s.call('fx_echo', { text: `login password=${PASSWORD} with ${SK_KEY}` })).status).toBe(200);
    expect((await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: tokens[1]! } })).status).toBe(401);
    const ro = await openSession(hub, { authorization: tokens[2]! });
    expect((await ro.call('fx_echo', { text: `password=${PASSWORD}` })).status).toBe(403);
    // The upstream's stderr line reached the log (masked), so the search below is not vacuous.
    await hub.proc.waitForLine(/fixture stderr: password=\[REDACTED\]/);
    await hub.stop();

    const written = filesUnder(hub.dir).filter((f) => path.basename(f) !== 'hatago.config.json');
    expect(written.map((f) => path.relative(hub.dir, f)).sort()).toEqual(expect.arrayContaining(['logs/audit.log', 'logs/hatago.log']));
    const secrets = [JWT_SECRET, ENV_SECRET, PASSWORD, SK_KEY, CARD, ...tokens.map((t) => t.slice(7))];
    const texts = [...written.map((f) => ({ f, text: readFileSync(f, 'utf8') })), { f: 'stderr', text: hub.proc.output() }];
    for (const { f, text } of texts) {
      for (const secret of secrets) {
        if (text.includes(secret)) throw new Error(`${f} contains a secret: ${secret.slice(0, 6)}…`);
      }
    }
    expect(readFileSync(path.join(hub.dir, 'logs', 'hatago.log'), 'utf8')).toContain('fixture stderr: password=[REDACTED]');
  });
});
