import { describe, expect, it } from '@jest/globals';
import { bearerFromHeader } from '../../src/auth/index.js';
import { expectAuthError } from './fixtures.js';

describe('bearerFromHeader', () => {
  it('returns the token; the scheme is case-insensitive', () => {
    expect(bearerFromHeader('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerFromHeader('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerFromHeader('BEARER a-b_c.d~e+f/g==')).toBe('a-b_c.d~e+f/g==');
  });

  it.each([undefined, '', '   '])('absent (%p): ERR_UNAUTHENTICATED', async (v) => {
    await expectAuthError(() => bearerFromHeader(v), 'ERR_UNAUTHENTICATED', 'missing');
  });

  it.each(['Basic dXNlcjpwYXNz', 'Token abc', 'Bearerabc'])('another scheme (%p): ERR_UNAUTHENTICATED', async (v) => {
    await expectAuthError(() => bearerFromHeader(v), 'ERR_UNAUTHENTICATED', 'other_scheme');
  });

  it.each(['Bearer', 'Bearer ', 'Bearer  abc', 'Bearer abc def', 'Bearer abc\tdef', 'Bearer abc\n', 'Bearer a=b', 'Bearer "abc"'])(
    'malformed (%p): ERR_TOKEN_INVALID',
    async (v) => {
      await expectAuthError(() => bearerFromHeader(v), 'ERR_TOKEN_INVALID', 'malformed');
    },
  );
});
