// The bytes an audit record's hash covers: JSON with keys sorted at every
// depth, undefined members left out as JSON.stringify leaves them out, the
// same text `hatago audit verify` rebuilds from the parsed line.
import { canonicalJson, inCanonicalOrder, recordHash, recordLine, type AuditRecord } from '../../src/audit/record.js';
import { createHash } from 'node:crypto';

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

/** The definition, spelled out: keys sorted by UTF-16 code unit at every depth, each value as JSON writes it. */
function reference(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
}

describe('canonicalJson of values already in order (one JSON.stringify) and of values that are not', () => {
  const cases: [string, unknown][] = [
    ['sorted at every depth', { a: 1, b: { c: [1, { d: 'x', e: null }], f: true } }],
    ['sorted but for one deep object', { a: 1, b: { c: [1, { e: 'x', d: null }] } }],
    ['integer-like keys (listed first by Object.keys, sorted as strings here)', { '10': 'x', '2': 'y', a: { '1': 1, '0': 0 } }],
    ['integer-like keys already in string order', { '1': 'x', '2': 'y', a: 'z' }],
    ['a Date (an object to canonicalJson, a string to JSON.stringify)', { at: new Date(0) }],
    ['an object with toJSON', { v: { toJSON: () => 'other', a: 1 } }],
    ['a boxed string', { s: Object('ab') as unknown }],
    ['a null-prototype object', { o: Object.assign(Object.create(null) as object, { a: 1, b: 2 }) }],
    ['undefined members and holes', { a: undefined, b: [undefined, 1], c: 'x' }],
    ['a function member', { a: 1, f: () => 1 }],
  ];
  test.each(cases)('%s', (_name, v) => {
    expect(canonicalJson(v)).toBe(reference(v));
  });

  test('inCanonicalOrder: only what JSON.stringify writes as canonicalJson does', () => {
    expect(inCanonicalOrder({ a: [1, { b: 'x', c: null }], d: true })).toBe(true);
    expect(inCanonicalOrder({ b: 1, a: 2 })).toBe(false);
    expect(inCanonicalOrder({ a: { d: 1, c: 2 } })).toBe(false);
    expect(inCanonicalOrder({ '10': 1, '2': 2 })).toBe(false);
    expect(inCanonicalOrder({ at: new Date(0) })).toBe(false);
    expect(inCanonicalOrder({ f: () => 1 })).toBe(false);
    expect(inCanonicalOrder({ n: 1n })).toBe(false);
  });
});

describe('recordHash and recordLine with the metadata\'s canonical JSON made once', () => {
  const record = {
    seq: 7, timestamp: '2026-12-01T18:00:00.000Z', level: 'info', component: 'security-audit', event: 'permission_granted', user: 'ü', sessionId: null, ip: '127.0.0.1', userAgent: null,
    decisionId: 'd-7', revision: 'sha256:ab', metadata: { method: 'tools/call', input: { request: { name: 'echo', arguments: { text: 'hi', '2': 'x', '10': 'y' } } }, roles: ['user'] },
    prevHash: '0'.repeat(64), hash: 'f'.repeat(64),
  } as unknown as AuditRecord;
  const metadataJson = canonicalJson(record.metadata);

  test('the hash is SHA-256 of the canonical record without its hash, given the metadata text or not', () => {
    const { hash: _h, ...unsigned } = record;
    const expected = createHash('sha256').update(reference(unsigned)).digest('hex');
    expect(recordHash(record)).toBe(expected);
    expect(recordHash(record, metadataJson)).toBe(expected);
  });

  test('the line is the record in its own order with the metadata\'s keys sorted; read back, it hashes the same', () => {
    const line = recordLine(record, metadataJson);
    expect(JSON.parse(line)).toEqual(record);
    expect(Object.keys(JSON.parse(line) as object)).toEqual(Object.keys(record));
    expect(line).toContain(`"metadata":${metadataJson},`);
    expect(recordHash(JSON.parse(line) as Record<string, unknown>)).toBe(recordHash(record));
  });
});
