// The hand-written scans find exactly what the guide's regexes find under
// JavaScript semantics (checked on generated strings short enough for the
// backtracking engine to be quick), in one pass.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { base64Spans, cardSpans, replaceSpans, skKeySpans, type Span } from '../../src/log/guide-patterns.js';

const mark = (s: string, spans: Span[]) => replaceSpans(s, spans, (m) => `<${m}>`);
const viaRegex = (s: string, re: RegExp) => s.replace(re, (m) => `<${m}>`);
// Strings from a small alphabet, with long runs common, so boundaries, padding and run ends all occur.
const textOf = (alphabet: string[], maxLength: number) =>
  fc.array(fc.oneof(fc.constantFrom(...alphabet), fc.constantFrom(...alphabet).chain((c) => fc.integer({ min: 1, max: 45 }).map((n) => c.repeat(n)))), { maxLength }).map((parts) => parts.join(''));

describe('scans match the guide regexes', () => {
  test('base64: \\b[A-Za-z0-9+/]{40,}={0,2}\\b', () => {
    fc.assert(
      fc.property(textOf(['a', 'Z', '7', '+', '/', '=', '_', '-', ' ', '.'], 30), (s) => {
        expect(mark(s, base64Spans(s))).toBe(viaRegex(s, /\b[A-Za-z0-9+/]{40,}={0,2}\b/g));
      }),
      { numRuns: 3000 },
    );
  });

  test('sk- keys: \\bsk-[A-Za-z0-9]{32,}\\b', () => {
    fc.assert(
      fc.property(textOf(['sk-', 's', 'k', '-', 'a', '9', '_', ' '], 20), (s) => {
        expect(mark(s, skKeySpans(s))).toBe(viaRegex(s, /\bsk-[A-Za-z0-9]{32,}\b/g));
      }),
      { numRuns: 3000 },
    );
  });

  test('cards: \\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b', () => {
    fc.assert(
      fc.property(textOf(['4111', '1', '-', '4111-', 'a', '_', ' '], 20), (s) => {
        expect(mark(s, cardSpans(s))).toBe(viaRegex(s, /\b\d{4}-\d{4}-\d{4}-\d{4}\b/g));
      }),
      { numRuns: 3000 },
    );
  });

  test('hand-picked edges: padding, a trailing + or _, runs split by _', () => {
    const b64 = 'QmFzZTY0VG9rZW5WYWx1ZVRoYXRJc0xvbmdFbm91Z2hUb01hc2s0NTY3ODk';
    for (const s of [`${b64}=`, `${b64}==`, `${b64}==x`, `${b64}+`, `${b64}+a`, `${b64}_`, `a_${b64}`, `/${b64}`, `${'+'.repeat(3)}${b64}`, `x${'a'.repeat(39)}+/`]) {
      expect(mark(s, base64Spans(s))).toBe(viaRegex(s, /\b[A-Za-z0-9+/]{40,}={0,2}\b/g));
    }
  });
});
