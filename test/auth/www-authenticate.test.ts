import { describe, expect, it } from '@jest/globals';
import { wwwAuthenticate } from '../../src/auth/index.js';
import { HatagoError } from '../../src/errors/index.js';

describe('wwwAuthenticate (RFC 6750 §3)', () => {
  it('no token: a bare challenge without an error code', () => {
    expect(wwwAuthenticate(new HatagoError('ERR_UNAUTHENTICATED'))).toBe('Bearer realm="hatago"');
    expect(wwwAuthenticate()).toBe('Bearer realm="hatago"');
  });

  it('invalid and expired tokens: invalid_token with a generic description, never the detail', () => {
    const invalid = wwwAuthenticate(new HatagoError('ERR_TOKEN_INVALID', { detail: 'wrong_issuer' }));
    expect(invalid).toBe('Bearer realm="hatago", error="invalid_token", error_description="The access token is invalid"');
    const expired = wwwAuthenticate(new HatagoError('ERR_TOKEN_EXPIRED', { detail: 'expired' }));
    expect(expired).toBe('Bearer realm="hatago", error="invalid_token", error_description="The access token expired"');
  });

  it('quotes the realm', () => {
    expect(wwwAuthenticate(undefined, 'a"b\\c')).toBe('Bearer realm="a\\"b\\\\c"');
  });
});
