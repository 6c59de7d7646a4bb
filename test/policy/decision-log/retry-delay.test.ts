// The decision-log service's backoff: doubling from the minimum, capped at
// the maximum, jittered to between half of the delay and all of it.
import { retryDelay } from '../../../src/policy/decision-log/index.js';

const limits = { retryMinDelayMs: 500, retryMaxDelayMs: 60000 };

describe('retryDelay', () => {
  it('doubles per failed attempt, with no jitter at the top of the range', () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelay(a, limits, 1))).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('is capped at retryMaxDelayMs, however many attempts failed', () => {
    expect(retryDelay(8, limits, 1)).toBe(60000); // 500 * 2^7 = 64000
    expect(retryDelay(1000, limits, 1)).toBe(60000);
  });

  it('jitters to between half of the delay and all of it', () => {
    expect(retryDelay(3, limits, 0)).toBe(1000);
    expect(retryDelay(3, limits, 0.5)).toBe(1500);
    expect(retryDelay(1000, limits, 0)).toBe(30000);
  });
});
