// The audit trail's limits with the real hub process: one record stays small
// however large the arguments it describes, client text in the trail is
// shown escaped by `hatago audit`, and a second hub on the same trail stops
// at start-up instead of interleaving its chain with the first one's.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { hashPassword } from '../../src/auth/users/index.js';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords, bearer, openSession, rpc } from './helpers.js';

useProcessCleanup();

const SECRET = 'audit-limits-secret-0123456789-abcdefghij!!';
let hub: HubProcess;
let trail: string;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: {
        enabled: true, type: 'jwt', secret: SECRET, algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'], expiresIn: '1h',
        users: { alice: { passwordHash: await hashPassword('correct horse battery staple', { N: 1024, r: 8, p: 1 }), roles: ['user'] } },
      },
      authorization: { enabled: true },
      suspicious: { enabled: false },
      // The sanitizer's own cut of long strings (docs/logging.md) is raised, so the record cap is what bounds here.
      logging: { maxStringLength: 1_048_576 },
    },
  });
  trail = path.join(hub.dir, 'logs', 'audit.log');
});

afterAll(async () => {
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
});

describe('security.audit.maxRecordBytes (default 16 KiB)', () => {
  it('denied calls with large arguments write small records that keep the structure and identify the arguments', async () => {
    const s = await openSession(hub, { authorization: await bearer(SECRET, 'carol', ['readonly'], { aud: 'mcp-clients', iss: 'hatago-hub' }) });
    // Past the cap, yet small enough for the sanitizer to mask quickly (it runs before the cap).
    const big = 'hello world '.repeat(2_000); // 24,000 bytes of text no secret pattern matches
    const before = auditRecords(hub).at(-1)?.seq ?? 0;
    for (let i = 0; i < 2; i++) {
      const r = await s.call('fx_echo', { text: big, n: i });
      expect(r.status).toBe(403);
      expect(rpc(r).error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    }
    const lines = readFileSync(trail, 'utf8').split('\n').filter((l) => l.length > 0);
    const denied = lines.map((l) => ({ l, r: JSON.parse(l) as { seq: number; event: string; metadata: Record<string, any> } })).filter((x) => x.r.seq > before); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(denied.map((x) => x.r.event)).toEqual(['permission_denied', 'permission_denied']);
    for (const [i, { l, r }] of denied.entries()) {
      expect(Buffer.byteLength(l)).toBeLessThanOrEqual(16 * 1024);
      expect(r.metadata).toMatchObject({ method: 'tools/call', server: 'fx', name: 'echo', code: 'ERR_PERMISSION_DENIED' });
      const input = r.metadata.input;
      expect(input.request).toMatchObject({ method: 'tools/call', server: 'fx', name: 'echo' });
      expect(input.principal).toMatchObject({ roles: ['readonly'] });
      expect(input.request.arguments.text).toEqual({ truncated: true, bytes: 24_000, sha256: createHash('sha256').update(big).digest('hex') });
      expect(input.request.arguments.n).toBe(i); // small leaves stay
    }
    const v = await runHatago(['audit', 'verify', '--file', trail]);
    expect(v.code).toBe(0);
    expect(v.output).toMatch(/^ok: \d+ records\n$/);
  });
});

describe('client text in the trail', () => {
  it('a login with control sequences in the username is recorded as sent and shown escaped', async () => {
    const username = 'x\x1b]0;pwned\x07\x1b[2J\u202eevil';
    const res = await rawRequest(`${hub.url}/auth/login`, { body: { username, password: 'wrong password' } });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'ERR_LOGIN_FAILED', message: 'Login failed: invalid username or password' });
    expect(auditRecords(hub).filter((r) => r.event === 'authentication_failure').map((r) => r.user)).toContain(username);
    const r = await runHatago(['audit', '--file', trail, '--event', 'authentication_failure']);
    expect(r.code).toBe(0);
    expect(r.output).not.toContain('\x1b');
    expect(r.output).not.toContain('\u202e');
    expect(r.output).toContain('x\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil');
  });
});

describe('one hub per audit trail', () => {
  it('a second hub on the same config folder and trail stops at start-up naming the file and the holder', async () => {
    const r = await runHatago(['serve', '--config', path.join(hub.dir, 'hatago.config.json'), '--port', '0'], { cwd: hub.dir });
    expect(r.code).toBe(1);
    const line = `hatago: audit trail ${trail} is in use by another hub (pid ${hub.proc.pid}, lock ${trail}.lock): stop that hub, or give this one its own security.audit.file [ERR_AUDIT_UNAVAILABLE]`;
    expect(r.output.split('\n')).toContain(line);
    // The first hub still writes a chain that verifies.
    const s = await openSession(hub, { authorization: await bearer(SECRET, 'dave', ['user'], { aud: 'mcp-clients', iss: 'hatago-hub' }) });
    expect((await s.call('fx_echo', { text: 'still here' })).status).toBe(200);
    const v = await runHatago(['audit', 'verify', '--file', trail]);
    expect(v.code).toBe(0);
  });
});
