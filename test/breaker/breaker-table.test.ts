import { describe, expect, it } from '@jest/globals';
import { breakerTableInput, parseBreakerTable, DEFAULT_SEVERITY } from '../../src/breaker/index.js';
import { HatagoError } from '../../src/errors/index.js';

const rule = { name: 'default', failureThreshold: 5, resetTimeoutMs: 30000, halfOpenMaxCalls: 3 };
const good = { enabled: true, servers: { a: { rule, severity: DEFAULT_SEVERITY } } };

function detailOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_POLICY_EVALUATION');
    return (err as HatagoError).detail ?? '';
  }
  throw new Error('expected ERR_POLICY_EVALUATION');
}

describe('breaker table', () => {
  it('builds the stage input with every server and its tags', () => {
    expect(breakerTableInput([{ id: 'a', tags: ['x'] }, { id: 'b' }])).toEqual({
      contract: 2,
      stage: 'breaker_table',
      servers: [
        { id: 'a', tags: ['x'] },
        { id: 'b', tags: [] },
      ],
    });
  });

  it('accepts the table, or a decision carrying it under "breakers"', () => {
    expect(parseBreakerTable(good)).toEqual(good);
    expect(parseBreakerTable({ allow: true, reasons: [], breakers: good }, ['a'])).toEqual(good);
  });

  it('refuses malformed answers with ERR_POLICY_EVALUATION', () => {
    expect(detailOf(() => parseBreakerTable(undefined))).toMatch(/not an object/);
    expect(detailOf(() => parseBreakerTable({ servers: {} }))).toMatch(/"enabled"/);
    expect(detailOf(() => parseBreakerTable({ enabled: true, servers: [] }))).toMatch(/"servers"/);
    expect(detailOf(() => parseBreakerTable(good, ['a', 'b']))).toMatch(/server "b" is missing/);
    expect(detailOf(() => parseBreakerTable({ enabled: true, servers: { a: { rule } } }))).toMatch(/servers\.a needs/);
    expect(detailOf(() => parseBreakerTable({ enabled: true, servers: { a: { rule: { ...rule, name: 1 }, severity: DEFAULT_SEVERITY } } }))).toMatch(/name/);
    expect(detailOf(() => parseBreakerTable({ enabled: true, servers: { a: { rule: { ...rule, failureThreshold: 0 }, severity: DEFAULT_SEVERITY } } }))).toMatch(
      /failureThreshold is not a positive integer/,
    );
    expect(detailOf(() => parseBreakerTable({ enabled: true, servers: { a: { rule, severity: { ...DEFAULT_SEVERITY, timeout: 'severe' } } } }))).toMatch(
      /severity\.timeout/,
    );
  });
});
