// The assignment scan masks what the two regexes it replaced masked (checked
// on generated strings short enough for their quadratic backtracking).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { maskAssignments } from '../../src/log/assignments.js';

const FIELDS = ['password', 'token', 'key'];
const ALT = FIELDS.join('|');
const OLD = [
  new RegExp(`([\\w.-]*(?:${ALT})[\\w.-]*\\s*=\\s*["']?)([^\\s"'&,;}]+)`, 'gi'),
  new RegExp(`(["'][\\w.-]*(?:${ALT})[\\w.-]*["']\\s*:\\s*["']?)([^\\s"'&,;}]+)`, 'gi'),
];
const old = (s: string) => OLD.reduce((out, re) => out.replace(re, (_m, name: string) => `${name}#`), s);

describe('maskAssignments', () => {
  test('matches the regexes it replaced', () => {
    const pieces = ['password', 'Token', 'KEY', 'a', 'x.y', '-', '_', '=', ':', ' ', '"', "'", '&', ',', ';', '}', 'v1', '\n'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 25 }), (parts) => {
        const s = parts.join('');
        expect(maskAssignments(s, FIELDS, '#')).toBe(old(s));
      }),
      { numRuns: 5000 },
    );
  });

  test('examples', () => {
    expect(maskAssignments('env API_KEY=abc123 DEBUG=1', FIELDS, '#')).toBe('env API_KEY=# DEBUG=1');
    expect(maskAssignments('{"password": "hunter2", "user":"bob"}', FIELDS, '#')).toBe('{"password": "#", "user":"bob"}');
    expect(maskAssignments('authentication failed: bad token', FIELDS, '#')).toBe('authentication failed: bad token');
    expect(maskAssignments('password=""', FIELDS, '#')).toBe('password=""');
    // A quoted key's value holding an assignment whose value runs past it: both masked (found by the property above).
    expect(maskAssignments(`'password":password= password`, FIELDS, '#')).toBe(`'password":# #`);
    expect(maskAssignments('{"token":api_key= s3cret}', FIELDS, '#')).toBe('{"token":# #}');
  });
});
