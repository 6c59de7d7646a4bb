// The penetration test's stall, against the real hub (`hatago serve`): an
// unauthenticated request with a 14 KB User-Agent and a denied call with a
// 100 KB argument. Their audit records hold the bounded, masked text with the
// marker, and /health answers alongside. Also what an operator must still
// read: the bundle's file path in the log and the registered claims.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REDACTED } from '../../src/log/sanitizer.js';
import { packagePath } from '../../src/util/package-root.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { auditRecords, openSession, rpc } from '../audit/helpers.js';

useProcessCleanup();

const SECRET = 'bounded-masking-secret-0123456789-abcdefgh!';
const marker = (s: string) => `…[TRUNCATED ${s.length} chars sha256:${createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 12)}]`;

let hub: HubProcess;
let bundleDir: string;
let bundle: string;

beforeAll(async () => {
  // A bundle under a long path: the guide's base64 pattern used to take it for a token.
  bundleDir = mkdtempSync(path.join(tmpdir(), 'hatago-paths-'));
  bundle = path.join(bundleDir, 'deployments', 'production', 'policies', 'bundle', 'hatago.tar.gz');
  mkdirSync(path.dirname(bundle), { recursive: true });
  copyFileSync(packagePath('policies', 'bundle', 'hatago.tar.gz'), bundle);
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    policies: { bundle },
    security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, authorization: { enabled: true } },
  });
});

afterAll(async () => {
  await hub?.stop();
  rmSync(bundleDir, { recursive: true, force: true });
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
});

const lastSeq = () => auditRecords(hub).at(-1)?.seq ?? 0;

describe('bounded masking in the running hub', () => {
  it('a 14 KB User-Agent without a token: 401, /health answers alongside, the audit record holds the bounded agent', async () => {
    const before = lastSeq();
    const ua = `pentest/1.0 (probe) ${'A'.repeat(14 * 1024)}`;
    const [denied, health] = await Promise.all([
      rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { 'user-agent': ua } }),
      rawRequest(`${hub.url}/health`, { method: 'GET' }),
    ]);
    expect({ status: denied.status, code: rpc(denied).error?.data?.code, message: denied.json?.error?.message }).toEqual({ status: 401, code: 'ERR_UNAUTHENTICATED', message: 'Authentication required' });
    expect(health.status).toBe(200);
    const recs = auditRecords(hub).filter((r) => r.seq > before && r.event === 'authentication_failure');
    expect(recs).toHaveLength(1);
    expect(recs[0]!.userAgent).toBe(`pentest/1.0 (probe) ${REDACTED}${marker(ua)}`);
  });

  it('a denied call with a 100 KB argument: the permission_denied record holds it bounded; registered claims stay readable', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await hs256Token(SECRET, { sub: 'carol', roles: ['readonly'], iat: now, exp: now + 600, email: 'carol@example.test' });
    const s = await openSession(hub, { authorization: `Bearer ${token}` });
    const before = lastSeq();
    const text = `api_key=${'z'.repeat(100 * 1024)}`;
    const r = await s.call('fx_echo', { text });
    expect(r.status).toBe(403);
    expect(rpc(r).error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    const recs = auditRecords(hub).filter((x) => x.seq > before && x.event === 'permission_denied');
    expect(recs).toHaveLength(1);
    const input = recs[0]!.metadata.input;
    expect(input.request.arguments).toEqual({ text: `api_key=${REDACTED}${marker(text)}` });
    expect(input.principal.claims).toEqual({ iat: now, exp: now + 600, email: REDACTED });
  });

  it('the log names the bundle by its file path, unmasked', () => {
    const lines = readFileSync(path.join(hub.dir, 'logs', 'hatago.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const activated = lines.find((l) => l.message === 'policy activated');
    expect(activated?.source).toBe(`file:${bundle}`);
  });
});
