// The shipped Prometheus rules (deploy/prometheus/hatago-rules.yml) load in
// promtool and their alerts fire on the series the hub exports; the guide's
// names without _total work through the recording rules.
import { readFileSync } from 'node:fs';
import { packagePath } from '../../src/util/package-root.js';
import { promtool } from './helpers.js';

const RULES = packagePath('deploy', 'prometheus', 'hatago-rules.yml');
const RULE_TESTS = packagePath('deploy', 'prometheus', 'hatago-rules.test.yml');

describe('deploy/prometheus/hatago-rules.yml', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.output).toContain('SUCCESS: 8 rules found');
    expect(r.status).toBe(0);
  });

  it('passes its promtool unit tests (the three alerts fire; a quiet hub fires none)', () => {
    const r = promtool(['test', 'rules', RULE_TESTS]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('has the guide\'s three alerts, on the exported _total names', () => {
    const text = readFileSync(RULES, 'utf8');
    expect(text).toMatch(/^groups:/m);
    for (const alert of ['AuthenticationFailureSpike', 'RateLimitExceeded', 'CircuitBreakerOpen']) expect(text).toContain(`- alert: ${alert}`);
    expect(text).toContain('rate(hatago_auth_failures_total[5m])');
    expect(text).toContain('rate(hatago_rate_limit_exceeded_total[1m])');
  });

  it('promtool check metrics refuses a counter without _total (what the guide\'s name would be)', () => {
    const r = promtool(['check', 'metrics'], '# HELP hatago_rate_limit_exceeded x\n# TYPE hatago_rate_limit_exceeded counter\nhatago_rate_limit_exceeded{rule="a"} 1\n');
    expect(r.output).toContain('counter metrics should have "_total" suffix');
    expect(r.status).not.toBe(0);
  });
});
