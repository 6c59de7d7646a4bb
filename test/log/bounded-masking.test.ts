// The inputs of the penetration test that stalled the event loop (quadratic
// backtracking in the masking regexes), masked correctly now, and the cap that
// bounds what one string may cost. Speed itself is shown by bench/sanitizer.mjs.
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { validateConfig } from '../../src/config/validate-config.js';
import { sanitizerFromConfig } from '../../src/log/from-config.js';
import { createSanitizer, DEFAULT_MAX_STRING_LENGTH, REDACTED, VALUE_BUDGET_STRINGS } from '../../src/log/sanitizer.js';

const MB = 1024 * 1024;
const sha12 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 12);
const marker = (s: string) => `…[TRUNCATED ${s.length} chars sha256:${sha12(s)}]`;

describe('attack inputs', () => {
  const s = createSanitizer();

  test('1 MB `x=aaaa…` is cut, its head masked, and the marker names length and hash', () => {
    const attack = `x=${'a'.repeat(MB)}`;
    expect(s.text(attack)).toBe(`x=${REDACTED}${marker(attack)}`);
  });

  test('1 MB base64 run ending in `+`', () => {
    const attack = `${'A'.repeat(MB)}+`;
    expect(s.text(attack)).toBe(`${REDACTED}${marker(attack)}`);
  });

  test('1 MB `password=aaaa…` and a 1 MB run of `eyJ-` (the JWT pattern restarted at every segment)', () => {
    const pw = `password=${'a'.repeat(MB)}`;
    expect(s.text(pw)).toBe(`password=${REDACTED}${marker(pw)}`);
    const jwtish = 'eyJ-'.repeat(MB / 4);
    expect(s.text(jwtish)).toBe(`${REDACTED}${marker(jwtish)}`);
  });

  test('a 14 KB user agent keeps its readable head', () => {
    const ua = `Mozilla/5.0 (X11; Linux x86_64) ${'A'.repeat(14 * 1024)}`;
    expect(s.text(ua)).toBe(`Mozilla/5.0 (X11; Linux x86_64) ${REDACTED}${marker(ua)}`);
  });

  test('a 100 KB tool argument in a value, and a 100 KB key', () => {
    const big = `secret=${'z'.repeat(100 * 1024)}`;
    const key = 'k'.repeat(100 * 1024);
    expect(s.value({ arguments: { content: big }, [key]: 1 })).toEqual({ arguments: { content: `secret=${REDACTED}${marker(big)}` }, [`${REDACTED}${marker(key)}`]: 1 });
  });

  test('an operator pattern that backtracks exponentially in JavaScript runs under RE2', () => {
    const c = createSanitizer({ patterns: ['(a+)+b'] });
    const evil = `${'a'.repeat(32)}!`;
    expect(c.text(evil)).toBe(evil);
    expect(c.text(`x ${'a'.repeat(40)}b y`)).toBe(`x ${REDACTED} y`);
  });
});

describe('the cap (security.logging.maxStringLength)', () => {
  test(`default ${DEFAULT_MAX_STRING_LENGTH}: a string that fits is masked whole, no marker`, () => {
    const s = createSanitizer();
    const fits = `x=${'a'.repeat(DEFAULT_MAX_STRING_LENGTH - 2)}`;
    expect(s.text(fits)).toBe(`x=${REDACTED}`);
  });

  test('a cut through a token masks the piece: no half-secret survives the cut', () => {
    const s = createSanitizer({ maxStringLength: 300 });
    const line = `${'word '.repeat(55)}ghp_q8Zr2LmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo tail`;
    // The token starts at 275 and the cut is at 300: 25 characters of it fit, too few to look like a token.
    expect(s.text(line)).toBe(`${'word '.repeat(55)}${REDACTED}${marker(line)}`);
  });

  test('a cut between words keeps every word before it', () => {
    const s = createSanitizer({ maxStringLength: 300 });
    const line = `${'word '.repeat(60)}end`;
    expect(s.text(line)).toBe(`${'word '.repeat(60)}${marker(line)}`);
  });

  test(`one value masks at most ${VALUE_BUDGET_STRINGS} long strings' worth; later long strings keep only the marker, short ones stay masked whole`, () => {
    const s = createSanitizer();
    const longs = Array.from({ length: VALUE_BUDGET_STRINGS + 2 }, (_, i) => `part ${i} ${'q'.repeat(DEFAULT_MAX_STRING_LENGTH)}`);
    const out = s.value({ longs, code: 'ERR_PERMISSION_DENIED', note: 'token ghp_q8Zr2LmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo' }) as { longs: string[]; code: string; note: string };
    expect(out.longs.slice(0, VALUE_BUDGET_STRINGS)).toEqual(longs.slice(0, VALUE_BUDGET_STRINGS).map((l, i) => `part ${i} ${REDACTED}${marker(l)}`));
    expect(out.longs.slice(VALUE_BUDGET_STRINGS)).toEqual(longs.slice(VALUE_BUDGET_STRINGS).map(marker));
    expect(out.code).toBe('ERR_PERMISSION_DENIED');
    expect(out.note).toBe(`token ghp_${REDACTED}`);
    // The budget is per call: the next record starts afresh.
    expect(s.value([longs[9]])).toEqual([`part 9 ${REDACTED}${marker(longs[9]!)}`]);
  });

  test('the cap applies to Error messages and stacks too', () => {
    const s = createSanitizer({ maxStringLength: 256 });
    const err = new Error(`boom ${'q'.repeat(1000)}`);
    const out = s.value(err) as { message: string; stack: string };
    expect(out.message).toBe(`boom ${REDACTED}${marker(err.message)}`);
    expect(out.stack.endsWith(marker(err.stack!))).toBe(true);
  });
});

describe('security.logging.maxStringLength in the config', () => {
  test('sets the cap of the hub sanitizer', () => {
    const s = sanitizerFromConfig({ mcpServers: {}, security: { logging: { maxStringLength: 300 } } });
    const line = `${'word '.repeat(70)}end`;
    expect(s.text(line)).toBe(`${'word '.repeat(60)}${marker(line)}`);
  });

  test('is an integer from 256 to 1048576', () => {
    const at = (v: unknown) => {
      try {
        validateConfig({ mcpServers: {}, security: { logging: { maxStringLength: v } } }, 'hatago.config.json');
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(at(256)).toBe('accepted');
    expect(at(100)).toBe('Invalid config hatago.config.json:\n  /security/logging/maxStringLength: must be >= 256');
    expect(at(2 * MB)).toBe('Invalid config hatago.config.json:\n  /security/logging/maxStringLength: must be <= 1048576');
    expect(at(4096.5)).toBe('Invalid config hatago.config.json:\n  /security/logging/maxStringLength: must be integer');
  });
});
