import { describe, expect, it } from '@jest/globals';
import { attachChallenge, challengeHeader, wwwAuthenticate } from '../../../src/auth/index.js';
import { TokenCache } from '../../../src/auth/oauth2/index.js';
import { HatagoError } from '../../../src/errors/index.js';

const RM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('the Bearer challenge of a resource server', () => {
  it('carries resource_metadata and scope (RFC 9728 §5.1, RFC 6750 §3)', () => {
    const err = attachChallenge(new HatagoError('ERR_UNAUTHENTICATED'), { resourceMetadata: RM, scope: ['openid', 'mcp'] });
    expect(wwwAuthenticate(err)).toBe(`Bearer realm="hatago", resource_metadata="${RM}", scope="openid mcp"`);
  });

  it('403 insufficient_scope carries a challenge; other 403s do not', () => {
    const scoped = attachChallenge(new HatagoError('ERR_INSUFFICIENT_SCOPE'), { resourceMetadata: RM, scope: ['mcp'] });
    expect(challengeHeader(scoped, 403)).toEqual({
      'WWW-Authenticate': `Bearer realm="hatago", resource_metadata="${RM}", error="insufficient_scope", error_description="The access token lacks a required scope", scope="mcp"`,
    });
    expect(challengeHeader(new HatagoError('ERR_PERMISSION_DENIED'), 403)).toEqual({});
    expect(challengeHeader(new HatagoError('ERR_AUTH_PROVIDER_UNAVAILABLE'), 503)).toEqual({});
  });
});

describe('TokenCache', () => {
  it('keys by a hash, expires at the TTL or the token exp, whichever is first', () => {
    let now = 1_000_000_000_000;
    const cache = new TokenCache<string>(60, () => new Date(now));
    cache.set('tok-a', 'A');
    cache.set('tok-b', 'B', now / 1000 + 10);
    expect(TokenCache.key('tok-a')).not.toContain('tok-a');
    expect([cache.get('tok-a'), cache.get('tok-b')]).toEqual(['A', 'B']);
    now += 10_000;
    expect([cache.get('tok-a'), cache.get('tok-b')]).toEqual(['A', undefined]);
    now += 50_000;
    expect(cache.get('tok-a')).toBeUndefined();
  });

  it('a TTL of 0 caches nothing', () => {
    const cache = new TokenCache<string>(0, () => new Date());
    cache.set('t', 'v');
    expect(cache.get('t')).toBeUndefined();
  });
});
