// The bytes an audit record's hash covers: JSON with keys sorted at every
// depth, undefined members left out as JSON.stringify leaves them out, the
// same text `hatago audit verify` rebuilds from the parsed line.
import { canonicalJson } from '../../src/audit/record.js';

/** The reference: a deep copy with sorted keys, stringified. */
function sortedCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortedCopy(x)));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sortedCopy(o[k])]));
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members, as a sorted JSON.stringify does', () => {
    const record = {
      seq: 3, timestamp: '2026-12-01T18:00:00.000Z', level: 'info', event: 'permission_granted', user: 'ünïcødé "quoted" \\ \n', skip: undefined,
      metadata: { z: [3, { b: 1, a: [null, undefined, 'x'] }], a: { '': 0, ' ': -1.5, '\u2028': true }, input: { request: { arguments: { text: 'hello' } } } },
    };
    expect(canonicalJson(record)).toBe(JSON.stringify(sortedCopy(record)));
    expect(JSON.parse(canonicalJson(record))).toEqual(JSON.parse(JSON.stringify(record)));
  });

  it('writes scalars and empty containers as JSON does', () => {
    for (const v of [null, 0, -0.5, 'a"b', true, [], {}, [[]], { a: {} }]) expect(canonicalJson(v)).toBe(JSON.stringify(v));
    expect(canonicalJson(undefined)).toBe('null');
  });
});
