import { describe, expect, it } from '@jest/globals';
import { BreakerRegistry, DEFAULT_RULE, DEFAULT_SEVERITY, type BreakerStateChange, type BreakerTable } from '../../src/breaker/index.js';
import { HatagoError } from '../../src/errors/index.js';
import { createMetrics, renderMetrics } from '../../src/metrics/index.js';
import { captureLogger, TestClock } from './helpers.js';

const external = { name: 'external-services', failureThreshold: 2, resetTimeoutMs: 60_000, halfOpenMaxCalls: 1 };

function table(servers: string[], enabled = true): BreakerTable {
  return {
    enabled,
    servers: Object.fromEntries(servers.map((id) => [id, { rule: id === 'github' ? external : DEFAULT_RULE, severity: DEFAULT_SEVERITY }])),
  };
}

function setup(servers = ['filesystem', 'github', 'search']) {
  const clock = new TestClock();
  const metrics = createMetrics();
  const logger = captureLogger();
  const changes: BreakerStateChange[] = [];
  const registry = new BreakerRegistry({ table: table(servers), clock, metrics, logger, onStateChange: (c) => changes.push(c) });
  return { clock, metrics, logger, changes, registry };
}

describe('BreakerRegistry', () => {
  it('one breaker per server; a failing server does not affect the others', async () => {
    const { registry } = setup();
    registry.acquire('github').failure('high');
    registry.acquire('github').failure('high');
    expect(registry.get('github')!.state).toBe('open');
    expect(() => registry.acquire('github')).toThrow(HatagoError);
    for (const other of ['filesystem', 'search']) {
      expect(registry.get(other)!.state).toBe('closed');
      await expect(registry.run(other, async () => 'ok')).resolves.toBe('ok');
    }
  });

  it('status() and snapshot() show every breaker for /health', () => {
    const { registry, clock } = setup();
    registry.acquire('github').failure('critical', 'connection');
    clock.advance(1_000);
    const status = registry.status();
    expect(status.enabled).toBe(true);
    expect(Object.keys(status.servers)).toEqual(['filesystem', 'github', 'search']);
    expect(status.servers.github).toEqual({
      server: 'github',
      state: 'open',
      rule: 'external-services',
      failureThreshold: 2,
      failures: 1,
      since: new Date(clock.now() - 1_000).toISOString(),
      retryAt: new Date(clock.now() + 59_000).toISOString(),
      retryAfterMs: 59_000,
      lastFailure: { kind: 'connection', severity: 'critical', at: new Date(clock.now() - 1_000).toISOString() },
    });
    expect(status.servers.filesystem).toMatchObject({ state: 'closed', rule: 'default', failures: 0 });
    expect(registry.snapshot().map((s) => s.server)).toEqual(['filesystem', 'github', 'search']);
  });

  it('tick() turns due open breakers half-open without traffic', async () => {
    const { registry, clock, metrics, changes } = setup();
    registry.acquire('github').failure('critical');
    clock.advance(60_000);
    registry.tick();
    expect(changes.map((c) => `${c.server}:${c.from}->${c.to}`)).toEqual(['github:closed->open', 'github:open->half-open']);
    const text = await renderMetrics(metrics.registry, 'circuit_breaker');
    expect(text).toContain('hatago_circuit_breaker_state{server="github"} 2');
  });

  it('start() and stop() manage one interval', () => {
    const { registry } = setup();
    registry.start(50);
    registry.start(50);
    registry.stop();
    registry.stop();
    expect(registry.get('github')!.state).toBe('closed');
  });

  it('a server without a breaker, or breakers disabled: calls pass and nothing counts', async () => {
    const { registry } = setup();
    const p = registry.acquire('unknown');
    expect(p).toMatchObject({ server: 'unknown', trial: false });
    p.failure('critical');
    await expect(registry.run('unknown', async () => 1)).resolves.toBe(1);

    const off = new BreakerRegistry({ table: table(['github'], false), clock: new TestClock() });
    expect(off.enabled).toBe(false);
    expect(off.get('github')).toBeUndefined();
    for (let i = 0; i < 10; i++) off.acquire('github').failure('critical');
    await expect(off.run('github', () => Promise.reject(new HatagoError('ERR_UPSTREAM_UNAVAILABLE')))).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });
    expect(off.status()).toEqual({ enabled: false, servers: {} });
  });

  it('apply() keeps the state of kept servers, adds new ones closed, drops removed ones and their series', async () => {
    const { registry, metrics } = setup();
    registry.acquire('github').failure('critical');
    registry.apply(table(['github', 'new']));
    expect(registry.get('github')!.state).toBe('open');
    expect(registry.get('new')!.state).toBe('closed');
    expect(registry.get('filesystem')).toBeUndefined();
    const text = await renderMetrics(metrics.registry, 'circuit_breaker');
    expect(text).toContain('hatago_circuit_breaker_state{server="github"} 1');
    expect(text).toContain('hatago_circuit_breaker_state{server="new"} 0');
    expect(text).not.toContain('server="filesystem"');
    registry.apply({ enabled: true, servers: { github: { rule: { ...external, failureThreshold: 9 }, severity: DEFAULT_SEVERITY } } });
    expect(registry.get('github')!.rule.failureThreshold).toBe(9);
  });

  it('log lines of every breaker carry component circuit-breaker and their server', () => {
    const { registry, logger } = setup();
    registry.acquire('github').failure('critical');
    registry.acquire('search').failure('critical');
    expect(logger.lines.map((l) => [l.meta.component, l.meta.server, l.meta.to])).toEqual([
      ['circuit-breaker', 'github', 'open'],
      ['circuit-breaker', 'search', 'open'],
    ]);
  });
});
