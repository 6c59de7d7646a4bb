import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker, HALF_OPEN_BUSY_RETRY_MS, type BreakerRule, type BreakerStateChange, type Permit } from '../../src/breaker/index.js';
import { HatagoError } from '../../src/errors/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { captureLogger, TestClock } from './helpers.js';

const rule: BreakerRule = { name: 'default', failureThreshold: 3, resetTimeoutMs: 10_000, halfOpenMaxCalls: 2 };

function setup(r: BreakerRule = rule) {
  const clock = new TestClock();
  const logger = captureLogger();
  const changes: BreakerStateChange[] = [];
  const metrics = createMetrics();
  const breaker = new CircuitBreaker({ server: 'github', rule: r, clock, logger, metrics, onStateChange: (c) => changes.push(c) });
  return { clock, logger, changes, metrics, breaker };
}

function refusal(fn: () => unknown): HatagoError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HatagoError);
    return err as HatagoError;
  }
  throw new Error('expected ERR_CIRCUIT_OPEN');
}

async function gauge(metrics: ReturnType<typeof createMetrics>, server: string): Promise<number | undefined> {
  const m = await metrics.circuitBreakerState.get();
  return m.values.find((v) => v.labels.server === server)?.value;
}

function fail(b: CircuitBreaker, n: number, severity: 'low' | 'medium' | 'high' | 'critical' = 'high'): void {
  for (let i = 0; i < n; i++) b.acquire().failure(severity);
}

describe('CircuitBreaker: closed', () => {
  it('starts closed, passes calls and sets the gauge to 0', async () => {
    const { breaker, metrics } = setup();
    expect(breaker.state).toBe('closed');
    const p = breaker.acquire();
    expect(p.trial).toBe(false);
    p.success();
    expect(await gauge(metrics, 'github')).toBe(0);
  });

  it('opens when counted failures reach failureThreshold, not before', async () => {
    const { breaker, changes, metrics } = setup();
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.status().failures).toBe(2);
    fail(breaker, 1, 'medium');
    expect(breaker.state).toBe('open');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ server: 'github', from: 'closed', to: 'open', failures: 3, rule: 'default' });
    expect(changes[0]!.reason).toMatch(/^failureThreshold reached/);
    expect(await gauge(metrics, 'github')).toBe(1);
  });

  it('a critical failure opens at once', () => {
    const { breaker, changes } = setup();
    breaker.acquire().failure('critical', 'connection');
    expect(breaker.state).toBe('open');
    expect(changes[0]).toMatchObject({ from: 'closed', to: 'open', failures: 1, reason: 'critical error (connection)' });
  });

  it('low failures never count', () => {
    const { breaker, changes } = setup();
    fail(breaker, 50, 'low');
    expect(breaker.state).toBe('closed');
    expect(breaker.status().failures).toBe(0);
    expect(breaker.status().lastFailure?.severity).toBe('low');
    expect(changes).toEqual([]);
  });

  it('a success resets the count (failures must be consecutive)', () => {
    const { breaker } = setup();
    fail(breaker, 2);
    breaker.acquire().success();
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.status().failures).toBe(2);
  });

  it('a permit settles once', () => {
    const { breaker } = setup();
    const p = breaker.acquire();
    p.failure('high');
    p.failure('high');
    p.failure('high');
    expect(breaker.status().failures).toBe(1);
  });
});

describe('CircuitBreaker: open', () => {
  it('refuses at once with ERR_CIRCUIT_OPEN naming the server and the retry time', () => {
    const { breaker, clock } = setup();
    fail(breaker, 3);
    clock.advance(4_000);
    const err = refusal(() => breaker.acquire());
    expect(err.code).toBe('ERR_CIRCUIT_OPEN');
    expect(err.status).toBe(503);
    expect(err.rpcCode).toBe(-32010);
    expect(err.message).toContain('"github"');
    expect(err.message).toContain('unavailable');
    expect(err.data).toEqual({
      server: 'github',
      state: 'open',
      retryAfterMs: 6_000,
      retryAt: new Date(clock.now() + 6_000).toISOString(),
    });
  });

  it('run() does not call the upstream while open', async () => {
    const { breaker } = setup();
    fail(breaker, 3);
    let called = 0;
    await expect(breaker.run(async () => void called++)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    expect(called).toBe(0);
  });

  it('stays open until resetTimeoutMs has passed, then is half-open', async () => {
    const { breaker, clock, changes, metrics } = setup();
    fail(breaker, 3);
    clock.advance(9_999);
    expect(breaker.state).toBe('open');
    expect(breaker.status()).toMatchObject({ state: 'open', retryAfterMs: 1, retryAt: new Date(clock.now() + 1).toISOString() });
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open', 'open->half-open']);
    expect(changes[1]!.reason).toBe('resetTimeoutMs elapsed');
    expect(await gauge(metrics, 'github')).toBe(2);
  });

  it('a call that started before the breaker opened does not count afterwards', () => {
    const { breaker, clock } = setup();
    const early = breaker.acquire();
    const late = breaker.acquire();
    fail(breaker, 3);
    early.success(); // must not close it
    expect(breaker.state).toBe('open');
    clock.advance(10_000);
    expect(breaker.state).toBe('half-open');
    late.failure('critical'); // must not re-open it
    expect(breaker.state).toBe('half-open');
    expect(breaker.status().trialCalls).toEqual({ inFlight: 0, max: 2 });
  });
});

describe('CircuitBreaker: half-open', () => {
  function halfOpen() {
    const s = setup();
    fail(s.breaker, 3);
    s.clock.advance(10_000);
    return s;
  }

  it('admits at most halfOpenMaxCalls trial calls at a time', () => {
    const { breaker } = halfOpen();
    const a = breaker.acquire();
    const b = breaker.acquire();
    expect([a.trial, b.trial]).toEqual([true, true]);
    const err = refusal(() => breaker.acquire());
    expect(err.code).toBe('ERR_CIRCUIT_OPEN');
    expect(err.data).toMatchObject({ server: 'github', state: 'half-open', retryAfterMs: HALF_OPEN_BUSY_RETRY_MS });
    expect(breaker.status().trialCalls).toEqual({ inFlight: 2, max: 2 });
    a.release(); // a cancelled trial frees its slot and decides nothing
    expect(breaker.state).toBe('half-open');
    const c = breaker.acquire();
    expect(c.trial).toBe(true);
    refusal(() => breaker.acquire());
  });

  it('a trial success closes it and resets the count', async () => {
    const { breaker, changes, metrics } = halfOpen();
    const a = breaker.acquire();
    const b = breaker.acquire();
    a.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.status().failures).toBe(0);
    expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'closed', reason: 'trial call succeeded' });
    expect(await gauge(metrics, 'github')).toBe(0);
    b.failure('critical'); // a trial of the half-open period, settled after it closed: ignored
    expect(breaker.state).toBe('closed');
  });

  it('a counted trial failure opens it again for a fresh resetTimeoutMs', async () => {
    const { breaker, clock, changes, metrics } = halfOpen();
    breaker.acquire().failure('medium', 'upstream_error');
    expect(breaker.state).toBe('open');
    expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'trial call failed: medium error (upstream_error)' });
    expect(await gauge(metrics, 'github')).toBe(1);
    clock.advance(9_999);
    expect(refusal(() => breaker.acquire()).data).toMatchObject({ retryAfterMs: 1 });
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('a low trial failure decides nothing', () => {
    const { breaker } = halfOpen();
    breaker.acquire().failure('low', 'validation');
    expect(breaker.state).toBe('half-open');
    expect(breaker.status().trialCalls).toEqual({ inFlight: 0, max: 2 });
  });
});

describe('CircuitBreaker.run', () => {
  it('counts thrown errors by kind and severity, and a resolved isError result as success', async () => {
    const { breaker } = setup({ name: 'x', failureThreshold: 2, resetTimeoutMs: 1000, halfOpenMaxCalls: 1 });
    const timeout = new HatagoError('ERR_UPSTREAM_TIMEOUT', { data: { server: 'github', timeoutMs: 5 } });
    await expect(breaker.run(() => Promise.reject(timeout))).rejects.toBe(timeout);
    expect(breaker.status()).toMatchObject({ failures: 1, lastFailure: { kind: 'timeout', severity: 'high' } });
    await expect(breaker.run(async () => ({ isError: true, content: [] }))).resolves.toEqual({ isError: true, content: [] });
    expect(breaker.status().failures).toBe(0);
    const denied = new HatagoError('ERR_PERMISSION_DENIED');
    await expect(breaker.run(() => Promise.reject(denied))).rejects.toBe(denied);
    expect(breaker.status().failures).toBe(0);
    const down = new HatagoError('ERR_UPSTREAM_UNAVAILABLE', { data: { server: 'github' } });
    await expect(breaker.run(() => Promise.reject(down))).rejects.toBe(down);
    expect(breaker.state).toBe('open'); // connection is critical by default
  });

  it('uses the severities it was given', async () => {
    const clock = new TestClock();
    const breaker = new CircuitBreaker({
      server: 's',
      clock,
      rule: { name: 'external-services', failureThreshold: 3, resetTimeoutMs: 60_000, halfOpenMaxCalls: 3 },
      severity: { auth: 'low', validation: 'low', upstream_error: 'medium', timeout: 'critical', protocol: 'high', connection: 'high', response_too_large: 'low' },
    });
    expect(breaker.severityOf('timeout')).toBe('critical');
    await expect(breaker.run(() => Promise.reject(new HatagoError('ERR_UPSTREAM_UNAVAILABLE')))).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(() => Promise.reject(new HatagoError('ERR_UPSTREAM_TIMEOUT')))).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: log lines and listener', () => {
  it('every state change is one line with component circuit-breaker and server, from, to, reason, failures', () => {
    const { breaker, clock, logger } = setup();
    fail(breaker, 3);
    clock.advance(10_000);
    void breaker.state;
    breaker.acquire().success();
    const lines = logger.lines.filter((l) => l.meta.component === 'circuit-breaker');
    expect(lines).toHaveLength(3);
    expect(logger.lines).toHaveLength(3);
    expect(lines.map((l) => [l.level, l.meta.from, l.meta.to])).toEqual([
      ['warn', 'closed', 'open'],
      ['info', 'open', 'half-open'],
      ['info', 'half-open', 'closed'],
    ]);
    for (const l of lines) {
      expect(l.meta).toMatchObject({ component: 'circuit-breaker', server: 'github', rule: 'default' });
      expect(typeof l.meta.reason).toBe('string');
      expect(typeof l.meta.failures).toBe('number');
    }
    expect(lines[0]!.meta.failures).toBe(3);
    expect(lines[0]!.meta.retryAt).toBe(new Date(clock.now()).toISOString());
  });

  it('a throwing listener is logged and does not break the breaker', () => {
    const logger = captureLogger();
    const breaker = new CircuitBreaker({
      server: 's',
      clock: new TestClock(),
      logger,
      onStateChange: () => {
        throw new Error('audit down');
      },
    });
    breaker.acquire().failure('critical');
    expect(breaker.state).toBe('open');
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error', meta: { component: 'circuit-breaker', error: 'audit down' } });
  });
});
