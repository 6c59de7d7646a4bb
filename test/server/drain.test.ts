// Graceful drain on SIGTERM, on a real hub process under load: 2025-11-25
// sessions and 2026-07-28 stateless clients each have a slow call in flight
// when the signal comes. While the hub drains, liveness stays 200, readiness
// is 503 draining, and new work is refused (503 ERR_DRAINING, Connection:
// close); every call in flight completes, the hub exits 0, and its audit
// trail verifies.
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { rmSync } from 'node:fs';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

let hub: HubProcess;
afterAll(async () => {
  await hub?.proc.kill();
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
});

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

describe('SIGTERM', () => {
  it('finishes every call in flight, refuses new work, exits 0 with a verifying audit trail', async () => {
    hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, http: { drainTimeoutMs: 20000 }, security: { authorization: { enabled: true, defaultRole: 'admin' } } });
    const legacy = await Promise.all(Array.from({ length: 3 }, async () => {
      const c = new LegacyClient({ name: 'legacy', version: '1' });
      await c.connect(new LegacyTransport(new URL(hub.mcpUrl)));
      return c;
    }));
    const modern = await Promise.all(Array.from({ length: 3 }, async () => {
      const c = new Client({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await c.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
      return c;
    }));
    // Each call reports progress every 150 ms for 1.5 s: SIGTERM comes once all have started.
    const started = new Set<number>();
    let allStarted!: () => void;
    const running = new Promise<void>((resolve) => (allStarted = resolve));
    const onprogress = (i: number) => () => {
      started.add(i);
      if (started.size === 6) allStarted();
    };
    const slow = { name: 'fx_slow', arguments: { steps: 10, delayMs: 150 } };
    const calls = [
      ...legacy.map((c, i) => c.callTool(slow, undefined, { onprogress: onprogress(i) })),
      ...modern.map((c, i) => c.callTool(slow, { onprogress: onprogress(3 + i) })),
    ];
    await running;
    hub.proc.child.kill('SIGTERM');
    await hub.proc.waitForLine(/draining: readiness is false/);

    const live = await rawRequest(`${hub.url}/health`, { method: 'GET' });
    expect([live.status, live.json]).toEqual([200, { status: 'ok' }]);
    const ready = await rawRequest(`${hub.url}/health/ready`, { method: 'GET' });
    expect([ready.status, ready.json]).toEqual([503, { status: 'draining' }]);
    const refused = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
    expect(refused.status).toBe(503);
    expect(refused.headers.connection).toBe('close');
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'This replica is shutting down: retry on another', data: { code: 'ERR_DRAINING', retryAfter: 1 } } });

    const results = await Promise.allSettled(calls);
    expect(results.map((r) => (r.status === 'fulfilled' ? textOf(r.value) : String(r.reason)))).toEqual(Array(6).fill('done 10'));
    expect(await hub.proc.waitForExit(30000)).toBe(0);
    expect(hub.proc.output()).toContain('"drained":true,"inFlight":0,"level":"info","message":"drained"');
    await Promise.all([...legacy, ...modern].map((c) => c.close().catch(() => undefined)));

    const verify = await runHatago(['audit', 'verify', '--file', path.join(hub.dir, 'logs', 'audit.log')]);
    expect(verify.output).toMatch(/^ok: \d+ records\n$/);
    expect(verify.code).toBe(0);
  }, 60000);

  it('is bounded by http.drainTimeoutMs: a call that outlasts it does not hold the exit', async () => {
    if (hub) {
      await hub.proc.kill();
      rmSync(hub.dir, { recursive: true, force: true });
    }
    hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, http: { drainTimeoutMs: 300 }, security: { authorization: { enabled: true, defaultRole: 'admin' } } });
    const c = new LegacyClient({ name: 'legacy', version: '1' });
    await c.connect(new LegacyTransport(new URL(hub.mcpUrl)));
    // 100 s of progress: in flight from its first progress notification, far longer than the drain timeout.
    let inFlight!: () => void;
    const started = new Promise<void>((resolve) => (inFlight = resolve));
    const hung = c.callTool({ name: 'fx_slow', arguments: { steps: 1000, delayMs: 100 } }, undefined, { onprogress: () => inFlight() }).then(() => 'answered', () => 'ended');
    await started;
    hub.proc.child.kill('SIGTERM');
    expect(await hub.proc.waitForExit(15000)).toBe(0);
    expect(hub.proc.output()).toContain('"inFlight":1,"level":"warn","message":"drain timeout: closing with requests still in flight","timeoutMs":300');
    // The client learns the call is over when its stream ends (or it closes): it is never answered.
    await c.close().catch(() => undefined);
    expect(await hung).toBe('ended');
  }, 60000);
});
