import { describe, expect, it } from '@jest/globals';
import { AuthenticationManager } from '../../../src/auth/index.js';
import { resolveOAuth2Options } from '../../../src/auth/oauth2/index.js';
import { HatagoError } from '../../../src/errors/index.js';

const BASE = { issuer: 'https://auth.example.com', resource: 'https://mcp.example.com/mcp' };

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_CONFIG_INVALID');
    return (err as HatagoError).detail ?? '';
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

describe('resolveOAuth2Options', () => {
  it("the guide's scope list: openid and profile are for login, mcp is required", () => {
    const o = resolveOAuth2Options({ ...BASE, scope: ['openid', 'profile', 'mcp'] }, {});
    expect({ required: o.requiredScopes, supported: o.scopesSupported, audience: o.audience, roles: o.rolesClaim }).toEqual({
      required: ['mcp'],
      supported: ['openid', 'profile', 'mcp'],
      audience: ['https://mcp.example.com/mcp'],
      roles: ['roles'],
    });
    expect(resolveOAuth2Options({ ...BASE, scope: ['openid', 'mcp'], requiredScopes: [] }, {}).requiredScopes).toEqual([]);
  });

  it.each([
    ['no resource', { issuer: BASE.issuer }],
    ['nothing that validates a token', { resource: BASE.resource }],
    ['http to a non-loopback issuer', { ...BASE, issuer: 'http://auth.example.com' }],
    ['a resource with a fragment', { ...BASE, resource: 'https://mcp.example.com/mcp#x' }],
    ['jwksUrl without issuer', { resource: BASE.resource, jwksUrl: 'https://auth.example.com/jwks' }],
    ['introspection without client credentials', { ...BASE, introspectionUrl: 'https://auth.example.com/introspect' }],
    ['clientId without clientSecret', { ...BASE, clientId: 'hub' }],
    ['a scope with a space', { ...BASE, scope: ['a b'] }],
    ['an empty rolesClaim segment', { ...BASE, rolesClaim: 'realm_access..roles' }],
  ])('refuses %s', (_name, provider) => {
    configError(() => resolveOAuth2Options(provider, {}));
  });

  it('refuses symmetric algorithms: a provider token is never checked with a shared secret', () => {
    expect(configError(() => resolveOAuth2Options(BASE, { algorithms: ['RS256', 'HS256'] }))).toContain('HS256');
  });

  it('refuses type "jwt" settings mixed into type "oauth2", and a missing provider block', async () => {
    await expect(AuthenticationManager.create({ type: 'oauth2', secret: 'x'.repeat(40), provider: BASE })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(AuthenticationManager.create({ type: 'oauth2' })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('a manager for type oauth2 signs nothing and exposes its resource server', async () => {
    const m = await AuthenticationManager.create({ type: 'oauth2', provider: BASE });
    expect(m.resourceServer?.resourceMetadataUrl).toBe('https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
    expect(() => m.generateToken({ sub: 'a' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    await expect(m.authenticate(undefined)).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
  });
});
