// The security guide's command lines, run as printed (docs/security-guide.md,
// the product's reference). Each line is asserted to stand in the guide
// verbatim, then run by bash in a hub's working folder with only its
// placeholders (${ENCRYPTION_KEY}) given as environment variables.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { HATAGO_BIN, fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const GUIDE = readFileSync(packagePath('docs', 'security-guide.md'), 'utf8');
const SECRET = 'guide-cli-lines-secret-0123456789-0123456789';

const LINES = {
  metrics: 'hatago metrics --filter circuit_breaker',
  tail: `tail -f logs/hatago.log | jq 'select(.component == "circuit-breaker")'`,
  report: 'hatago audit --start 2024-01-01 --end 2024-01-31 --format json',
  failures: 'hatago audit --event authentication_failure --last 24h',
  exportCsv: 'hatago audit --export csv --output audit-2024-01.csv',
  fromEnv: 'hatago serve --config-from-env',
  encrypt: 'hatago config encrypt --input config.json --output config.encrypted',
  decryptServe: 'hatago serve --config config.encrypted --decrypt-key ${ENCRYPTION_KEY}',
};

let hub: HubProcess;
let bin: string;
let adminToken: string;

/** Runs one guide line with bash in `cwd`, `hatago` on the PATH; resolves on exit. */
async function run(line: string, cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const proc = spawnProcess('bash', ['-c', line], { cwd, env: { PATH: `${bin}:${process.env.PATH}`, ...env } });
  const code = await proc.waitForExit(60000);
  return { code, out: proc.output() };
}

beforeAll(async () => {
  for (const line of Object.values(LINES)) expect(GUIDE).toContain(line);
  hub = await startHubProcess(
    {
      mcpServers: { flaky: fixtureStdio() },
      security: {
        authentication: { enabled: true, type: 'jwt', secret: '${HATAGO_AUTH_SECRET}', algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'] },
        authorization: { enabled: true, defaultRole: 'readonly' },
        // The guide's circuit-breaker block.
        circuitBreaker: { enabled: true, rules: { default: { failureThreshold: 5, resetTimeoutMs: 30000, halfOpenMaxCalls: 3, errorClassification: { timeout: 'high', connection: 'critical', auth: 'low', validation: 'low' } } } },
      },
    },
    { env: { HATAGO_AUTH_SECRET: SECRET } },
  );
  // `hatago` as the guide calls it: the built CLI.
  bin = path.join(hub.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'hatago'), `#!/bin/sh\nexec "${process.execPath}" "${HATAGO_BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'hatago'), 0o755);
  adminToken = await hs256Token(SECRET, { sub: 'ops', roles: ['admin'], iss: 'hatago-hub', aud: 'mcp-clients' });
  // Something for the lines to show: a bad token, and a crash that opens the breaker.
  const bad = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: 'Bearer not-a-token' } });
  expect(bad.status).toBe(401);
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: { authorization: `Bearer ${adminToken}` } });
  const headers = { authorization: `Bearer ${adminToken}`, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'flaky_crash', arguments: {} } }, headers });
}, 60000);

afterAll(async () => {
  await hub?.stop();
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
});

describe('the guide\'s command lines, as printed', () => {
  it(LINES.metrics, async () => {
    const r = await run(LINES.metrics, hub.dir, { HATAGO_AUTH_TOKEN: adminToken });
    expect(r.out).toMatch(/hatago_circuit_breaker_state/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^hatago_circuit_breaker_state\{server="flaky"\} 1$/m);
    expect(r.out).not.toMatch(/hatago_auth_failures/);
  });

  it(LINES.tail, async () => {
    // On a terminal, as an operator runs it (jq holds its output back when writing to a pipe).
    const proc = spawnProcess('script', ['-qfec', LINES.tail, '/dev/null'], { cwd: hub.dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    // jq pretty-prints in colour on a terminal: the breaker's own line, as the operator sees it.
    await proc.waitForLine(/circuit breaker for \\"flaky\\" opened/);
    const plain = proc.output().replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toContain('"component": "circuit-breaker"');
    await proc.kill();
  });

  it(LINES.report, async () => {
    const r = await run(LINES.report, hub.dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([]); // nothing happened in January 2024
  });

  it(LINES.failures, async () => {
    const r = await run(LINES.failures, hub.dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('authentication_failure');
    expect(r.out).not.toContain('permission_granted');
  });

  it(LINES.exportCsv, async () => {
    const r = await run(LINES.exportCsv, hub.dir);
    expect(r.code).toBe(0);
    const csv = readFileSync(path.join(hub.dir, 'audit-2024-01.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^seq,timestamp,/);
    expect(csv).toContain('authentication_failure');
  });
});

describe('the guide\'s secret-management lines, as printed', () => {
  const config = { mcpServers: { fx: fixtureStdio() }, security: { authentication: { enabled: false } } };

  it(`${LINES.fromEnv} and ${LINES.encrypt} then ${LINES.decryptServe}`, async () => {
    const dir = path.join(hub.dir, 'secrets');
    mkdirSync(dir);
    const port = (n: number) => ({ ...config, http: { host: '127.0.0.1', port: 0 }, upstreams: { timeoutMs: 10000 + n } });
    const fromEnv = spawnProcess('bash', ['-c', LINES.fromEnv], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, HATAGO_CONFIG: JSON.stringify(port(1)) } });
    await fromEnv.waitForLine(/hatago listening on http:\/\/127\.0\.0\.1:\d+\/mcp/, 30000);
    await fromEnv.kill('SIGTERM');

    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(port(2)));
    // Unquoted in the guide's line, so one word: a raw key (docs/secrets.md).
    const key = `base64:${randomBytes(32).toString('base64')}`;
    const enc = await run(LINES.encrypt, dir, { HATAGO_CONFIG_KEY: key });
    expect(enc.code).toBe(0);
    expect(existsSync(path.join(dir, 'config.encrypted'))).toBe(true);
    expect(readFileSync(path.join(dir, 'config.encrypted'), 'utf8')).not.toContain('mcpServers');
    const served = spawnProcess('bash', ['-c', LINES.decryptServe], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, ENCRYPTION_KEY: key } });
    await served.waitForLine(/hatago listening on http:\/\/127\.0\.0\.1:\d+\/mcp/, 30000);
    await served.kill('SIGTERM');
  });
});
