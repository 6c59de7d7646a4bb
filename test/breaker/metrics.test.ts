import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type winston from 'winston';
import { CircuitBreaker } from '../../src/breaker/index.js';
import { createLogger } from '../../src/log/winston-logger.js';
import { createMetrics, renderMetrics } from '../../src/metrics/index.js';
import { tempDir } from '../policy/helpers.js';
import { TestClock } from './helpers.js';

describe('metrics', () => {
  it('defines the guide\'s metric names; each call gets its own registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    expect(a.registry).not.toBe(b.registry);
    a.authFailures.inc({ code: 'ERR_TOKEN_EXPIRED' });
    a.rateLimitExceeded.inc({ rule: 'per-user' }, 2);
    a.circuitBreakerState.set({ server: 'gh' }, 1);
    const text = await renderMetrics(a.registry);
    expect(text).toContain('# TYPE hatago_circuit_breaker_state gauge');
    expect(text).toContain('hatago_circuit_breaker_state{server="gh"} 1');
    expect(text).toContain('hatago_auth_failures_total{code="ERR_TOKEN_EXPIRED"} 1');
    expect(text).toContain('hatago_rate_limit_exceeded_total{rule="per-user"} 2');
    expect(await renderMetrics(b.registry, 'auth')).toContain('hatago_auth_failures_total');
    expect(await renderMetrics(b.registry, 'auth')).not.toContain('{code=');
  });

  it('--filter circuit_breaker keeps only the breaker families (state and transitions)', async () => {
    const m = createMetrics();
    new CircuitBreaker({ server: 'fs', metrics: m, clock: new TestClock() });
    m.authFailures.inc({ code: 'ERR_TOKEN_INVALID' });
    const text = await renderMetrics(m.registry, 'circuit_breaker');
    expect(text).toBe(
      '# HELP hatago_circuit_breaker_state Circuit breaker state per upstream server: 0 closed, 1 open, 2 half-open\n' +
        '# TYPE hatago_circuit_breaker_state gauge\n' +
        'hatago_circuit_breaker_state{server="fs"} 0\n\n' +
        '# HELP hatago_circuit_breaker_transitions_total Circuit breaker state changes, by server and states\n' +
        '# TYPE hatago_circuit_breaker_transitions_total counter\n\n',
    );
  });
});

describe('log lines through the real logger', () => {
  it('state changes land in the log file with component circuit-breaker (the guide\'s jq filter)', async () => {
    const tmp = tempDir('hatago-breaker-log-');
    try {
      const file = join(tmp.path, 'hatago.log');
      const logger = createLogger({ file, level: 'info' });
      const clock = new TestClock();
      const breaker = new CircuitBreaker({ server: 'github', clock, logger, rule: { name: 'default', failureThreshold: 1, resetTimeoutMs: 100, halfOpenMaxCalls: 1 } });
      logger.info('unrelated hub line');
      breaker.acquire().failure('high', 'timeout');
      clock.advance(100);
      breaker.acquire().success();
      const w = logger as unknown as winston.Logger;
      const fileTransport = w.transports.find((t) => 'filename' in t)!;
      await new Promise<void>((resolve) => {
        fileTransport.on('finish', () => resolve());
        w.end();
      });
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const breakerLines = lines.filter((l) => l.component === 'circuit-breaker');
      expect(breakerLines.map((l) => [l.server, l.from, l.to, l.failures])).toEqual([
        ['github', 'closed', 'open', 1],
        ['github', 'open', 'half-open', 1],
        ['github', 'half-open', 'closed', 1],
      ]);
      expect(breakerLines[0]!.reason).toBe('failureThreshold reached (1 >= 1, last: high error (timeout))');
      expect(lines.filter((l) => l.component !== 'circuit-breaker').map((l) => l.message)).toEqual(['unrelated hub line']);
    } finally {
      tmp.cleanup();
    }
  });
});
