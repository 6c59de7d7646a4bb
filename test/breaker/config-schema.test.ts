import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/validate-config.js';
import { HatagoError } from '../../src/errors/index.js';
import { GUIDE_CIRCUIT_BREAKER } from './helpers.js';

const base = { mcpServers: { gh: { url: 'https://example.test/mcp', tags: ['external-services'] } } };

function message(config: unknown): string {
  try {
    validateConfig(config, 'test');
  } catch (err) {
    expect((err as HatagoError).code).toBe('ERR_CONFIG_INVALID');
    return (err as HatagoError).message + ((err as HatagoError).detail ?? '');
  }
  return 'valid';
}

describe('security.circuitBreaker in the config schema', () => {
  it('accepts the guide\'s example', () => {
    expect(message({ ...base, security: { circuitBreaker: GUIDE_CIRCUIT_BREAKER } })).toBe('valid');
  });

  it('refuses bad values and unknown keys', () => {
    expect(message({ ...base, security: { circuitBreaker: { rules: { default: { failureThreshold: 0 } } } } })).not.toBe('valid');
    expect(message({ ...base, security: { circuitBreaker: { rules: { default: { errorClassification: { timeout: 'severe' } } } } } })).not.toBe('valid');
    expect(message({ ...base, security: { circuitBreaker: { rules: { default: { errorClassification: { disk: 'low' } } } } } })).not.toBe('valid');
    expect(message({ ...base, security: { circuitBreaker: { enabled: true, windowMs: 5 } } })).not.toBe('valid');
  });
});
