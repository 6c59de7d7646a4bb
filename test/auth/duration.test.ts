import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../src/auth/index.js';

describe('parseDuration', () => {
  it.each([
    ['24h', 86400],
    ['1h', 3600],
    ['30m', 1800],
    ['45s', 45],
    ['7d', 604800],
    ['3600', 3600],
    ['1H', 3600],
    [90, 90],
  ])('%p = %d s', (v, s) => expect(parseDuration(v)).toBe(s));

  it.each(['', '0', '0h', '-1h', '1.5h', '1w', 'h', '1 hour', 0, -5, 1.5, Number.NaN])('%p is refused', (v) =>
    expect(parseDuration(v)).toBeUndefined(),
  );
});
