import { HatagoError } from '../../src/errors/index.js';
import { rateLimitConfigFromEnv } from '../../src/ratelimit/index.js';

describe('rateLimitConfigFromEnv', () => {
  it('adds the guide rules for the variables that are set', () => {
    const env = {
      HATAGO_RATE_LIMIT_WINDOW: '30000',
      HATAGO_RATE_LIMIT_MAX: '500',
      HATAGO_RATE_LIMIT_USER_MAX: '80',
      HATAGO_RATE_LIMIT_TOOLS_MAX: '40',
    };
    expect(rateLimitConfigFromEnv({ enabled: true }, env)).toEqual({
      enabled: true,
      rules: [
        { name: 'global', windowMs: 30000, max: 500, keyGenerator: 'ip' },
        { name: 'per-user', windowMs: 60000, max: 80, keyGenerator: 'user' },
        { name: 'tool-calls', windowMs: 60000, max: 40, keyGenerator: 'user', filter: 'mcp:tools:call' },
      ],
    });
  });

  it('tool-calls takes the per-user window', () => {
    const cfg = rateLimitConfigFromEnv(undefined, { HATAGO_RATE_LIMIT_USER_WINDOW: '5000', HATAGO_RATE_LIMIT_TOOLS_MAX: '7' });
    expect(cfg.rules).toEqual([
      { name: 'per-user', windowMs: 5000, max: 100, keyGenerator: 'user' },
      { name: 'tool-calls', windowMs: 5000, max: 7, keyGenerator: 'user', filter: 'mcp:tools:call' },
    ]);
  });

  it('no variables: the config as it is', () => {
    const config = { rules: [{ name: 'x', windowMs: 1, max: 1 }] };
    expect(rateLimitConfigFromEnv(config, {})).toEqual(config);
    expect(rateLimitConfigFromEnv(undefined, { HATAGO_RATE_LIMIT_MAX: '' })).toEqual({ rules: [] });
  });

  it('a config rule of the same name wins over the variables, and is not changed', () => {
    const config = { rules: [{ name: 'global', windowMs: 1000, max: 5, keyGenerator: 'ip' as const }] };
    const out = rateLimitConfigFromEnv(config, { HATAGO_RATE_LIMIT_MAX: '9' });
    expect(out.rules).toEqual([{ name: 'global', windowMs: 1000, max: 5, keyGenerator: 'ip' }]);
    expect(out.rules).not.toBe(config.rules);
  });

  it.each([
    ['HATAGO_RATE_LIMIT_MAX', 'lots'],
    ['HATAGO_RATE_LIMIT_MAX', '-1'],
    ['HATAGO_RATE_LIMIT_MAX', '1.5'],
    ['HATAGO_RATE_LIMIT_WINDOW', '0'],
    ['HATAGO_RATE_LIMIT_USER_WINDOW', '1e3'],
  ])('%s=%s is ERR_CONFIG_INVALID, even when the config rule wins', (name, value) => {
    const config = { rules: [{ name: 'global', windowMs: 1000, max: 5 }, { name: 'per-user', windowMs: 1000, max: 5 }] };
    let err: unknown;
    try {
      rateLimitConfigFromEnv(config, { [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as HatagoError).data).toEqual({ variable: name });
  });
});
