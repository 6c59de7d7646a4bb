import { describe, expect, it } from '@jest/globals';
import { oauth2Principal } from '../../../src/auth/oauth2/index.js';

describe('oauth2Principal', () => {
  it('maps Keycloak-style claims', () => {
    const p = oauth2Principal(
      { sub: 'u1', preferred_username: 'alice', email: 'a@x', realm_access: { roles: ['user', 'admin'] }, scope: 'openid mcp', aud: 'r' },
      ['realm_access', 'roles'],
    );
    expect(p).toEqual({ sub: 'u1', username: 'alice', roles: ['user', 'admin'], scope: ['openid', 'mcp'], claims: { preferred_username: 'alice', email: 'a@x', realm_access: { roles: ['user', 'admin'] }, aud: 'r' } });
  });

  it('groups as roles, scp as scope, email as username', () => {
    const p = oauth2Principal({ sub: 'u2', email: 'b@x', groups: ['readonly'], scp: ['mcp'] }, ['groups']);
    expect({ username: p.username, roles: p.roles, scope: p.scope }).toEqual({ username: 'b@x', roles: ['readonly'], scope: ['mcp'] });
  });

  it('no roles claim: no roles, no scope claim: no narrowing', () => {
    const p = oauth2Principal({ sub: 'u3' }, ['realm_access', 'roles']);
    expect({ roles: p.roles, scope: p.scope }).toEqual({ roles: [], scope: undefined });
  });

  it('a claim path never reaches the prototype', () => {
    expect(oauth2Principal({ sub: 'u4' }, ['constructor', 'name']).roles).toEqual([]);
  });

  it.each([
    ['no sub', {}, ['roles']],
    ['roles of the wrong type', { sub: 'u', roles: { admin: true } }, ['roles']],
    ['permissions not a list', { sub: 'u', permissions: 'mcp:*:*' }, ['roles']],
  ])('refuses %s (ERR_TOKEN_INVALID)', (_n, claims, path) => {
    expect(() => oauth2Principal(claims, path)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_INVALID' }));
  });
});
