// Circuit breakers in the real hub process: the policy picks each server's
// rule and classifies errors; the runtime runs the state machine. Upstream
// timeouts (severity high: counts one) and a crash (connection: critical,
// opens at once) trip them; other servers are unaffected.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

let hub: HubProcess;
let sid: string;

async function call(name: string, args: Record<string, unknown> = {}) {
  return rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', id: Math.floor(Math.random() * 1e9), method: 'tools/call', params: { name, arguments: args } },
    headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
  });
}

async function breakerState(server: string): Promise<string> {
  const health = (await (await fetch(`${hub.url}/health/details`)).json()) as { circuitBreakers: { servers: Record<string, { state: string }> } };
  return health.circuitBreakers.servers[server]!.state;
}

/** Polls until `check` holds; no deadline of its own (a busy machine is slow, not wrong): jest's timeout ends a hang. */
async function until(check: () => Promise<boolean>, _what: string): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: {
      flaky: { ...fixtureStdio(), timeoutMs: 300, tags: ['external-services'] },
      steady: fixtureStdio(),
    },
    security: {
      authorization: { enabled: true, defaultRole: 'admin' },
      circuitBreaker: {
        enabled: true,
        rules: {
          default: { failureThreshold: 5, resetTimeoutMs: 30000, halfOpenMaxCalls: 1 },
          'external-services': { failureThreshold: 2, resetTimeoutMs: 1500, halfOpenMaxCalls: 1, errorClassification: { timeout: 'high' } },
        },
      },
    },
  });
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
  sid = String(init.headers['mcp-session-id']);
});

describe('a breaker per upstream', () => {
  it('uses the rule named after a server tag, else default', async () => {
    const health = (await (await fetch(`${hub.url}/health/details`)).json()) as { circuitBreakers: { servers: Record<string, { rule: string; failureThreshold: number }> } };
    expect(health.circuitBreakers.servers.flaky).toMatchObject({ rule: 'external-services', failureThreshold: 2 });
    expect(health.circuitBreakers.servers.steady).toMatchObject({ rule: 'default', failureThreshold: 5 });
  });

  it('opens after failureThreshold timeouts and then refuses at once, naming the server', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await call('flaky_hang');
      expect(r.json.error.data.code).toBe('ERR_UPSTREAM_TIMEOUT');
    }
    expect(await breakerState('flaky')).toBe('open');
    const refused = await call('flaky_echo', { text: 'x' });
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe(-32010);
    expect(refused.json.error.data).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', server: 'flaky' });
    expect(refused.json.error.data.retryAfterMs).toBeGreaterThan(0);
    expect(refused.json.error.message).toContain('flaky');
  });

  it('leaves the other servers alone', async () => {
    const r = await call('steady_echo', { text: 'fine' });
    expect(r.status).toBe(200);
    expect(await breakerState('steady')).toBe('closed');
  });

  it('goes half-open after resetTimeoutMs and closes on a successful trial call', async () => {
    await until(async () => (await breakerState('flaky')) === 'half-open', 'flaky half-open');
    const trial = await call('flaky_echo', { text: 'trial' });
    expect(trial.status).toBe(200);
    expect(await breakerState('flaky')).toBe('closed');
  });

  it('opens at once on a critical error (connection lost)', async () => {
    const r = await call('flaky_crash');
    expect(r.json.error.data.code).toBe('ERR_UPSTREAM_UNAVAILABLE');
    expect(await breakerState('flaky')).toBe('open');
  });

  it('logs every state change with component "circuit-breaker"', async () => {
    const file = path.join(hub.dir, 'logs', 'hatago.log');
    let changes: { from: string; to: string; server: string }[] = [];
    await until(async () => {
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
      changes = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.component === 'circuit-breaker' && l.to !== undefined) as typeof changes;
      return changes.length >= 4;
    }, 'four breaker log lines');
    expect(changes.map((c) => `${c.server}:${c.from}->${c.to}`)).toEqual(['flaky:closed->open', 'flaky:open->half-open', 'flaky:half-open->closed', 'flaky:closed->open']);
  });

  it('records every state change in the audit trail', () => {
    const records = readFileSync(path.join(hub.dir, 'logs', 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; component: string; metadata: { server: string; from: string; to: string } })
      .filter((r) => r.event === 'circuit_breaker_state_change');
    expect(records.every((r) => r.component === 'security-audit')).toBe(true);
    expect(records.map((r) => `${r.metadata.server}:${r.metadata.from}->${r.metadata.to}`)).toEqual([
      'flaky:closed->open',
      'flaky:open->half-open',
      'flaky:half-open->closed',
      'flaky:closed->open',
    ]);
  });
});
