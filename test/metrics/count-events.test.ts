// countSecurityEvents: the counters follow the events every stage records,
// through a real prom-client registry and the hub's renderer.
import { describe, expect, it } from '@jest/globals';
import { countSecurityEvents, createMetrics, renderMetrics } from '../../src/metrics/index.js';
import type { SecurityEvent } from '../../src/pipeline/security-events.js';
import { sample } from './helpers.js';

describe('countSecurityEvents', () => {
  it('counts authentication failures by code and rate-limit refusals by rule, and passes every event on', async () => {
    const m = createMetrics();
    const seen: SecurityEvent[] = [];
    const sink = countSecurityEvents(m, async (e) => void seen.push(e));
    const events: SecurityEvent[] = [
      { event: 'authentication_failure', ip: '10.0.0.1', metadata: { method: 'jwt', code: 'ERR_TOKEN_EXPIRED' } },
      { event: 'authentication_failure', ip: '10.0.0.1', metadata: { method: 'jwt', code: 'ERR_TOKEN_EXPIRED' } },
      { event: 'authentication_failure', user: 'bob', metadata: { method: 'password', reason: 'bad_password' } },
      { event: 'rate_limit_exceeded', metadata: { limit: 'per-user', method: 'tools/call' } },
      { event: 'authentication_success', user: 'alice' },
      { event: 'permission_denied', user: 'alice' },
    ];
    for (const e of events) await sink(e);
    expect(seen).toEqual(events);
    const text = await renderMetrics(m.registry);
    expect(sample(text, 'hatago_auth_failures_total', { code: 'ERR_TOKEN_EXPIRED' })).toBe(2);
    expect(sample(text, 'hatago_auth_failures_total', { code: 'ERR_LOGIN_FAILED' })).toBe(1);
    expect(sample(text, 'hatago_rate_limit_exceeded_total', { rule: 'per-user' })).toBe(1);
    expect(text.match(/^hatago_auth_failures_total\{/gm)).toHaveLength(2);
  });

  it('counts a failure even when its record cannot be written (the request fails closed, the failure happened)', async () => {
    const m = createMetrics();
    const sink = countSecurityEvents(m, async () => {
      throw new Error('disk full');
    });
    await expect(sink({ event: 'authentication_failure', metadata: { method: 'jwt', code: 'ERR_TOKEN_INVALID' } })).rejects.toThrow('disk full');
    expect(sample(await renderMetrics(m.registry), 'hatago_auth_failures_total', { code: 'ERR_TOKEN_INVALID' })).toBe(1);
  });
});
