import { describe, expect, it } from '@jest/globals';
import { principalClaimsProblem, toPrincipal } from '../../src/auth/principal-claims.js';

describe('toPrincipal', () => {
  it('maps the guide claims and keeps the rest in claims', () => {
    const payload = {
      sub: 'user-123',
      username: 'john.doe',
      roles: ['user'],
      permissions: ['mcp:tools:call'],
      sessionId: 'session-456',
      scope: ['mcp:tools'],
      iss: 'hatago-hub',
      allowedServers: ['filesystem'],
    };
    expect(principalClaimsProblem(payload)).toBeUndefined();
    expect(toPrincipal(payload)).toEqual({
      sub: 'user-123',
      username: 'john.doe',
      roles: ['user'],
      permissions: ['mcp:tools:call'],
      sessionId: 'session-456',
      scope: ['mcp:tools'],
      claims: { iss: 'hatago-hub', allowedServers: ['filesystem'] },
    });
  });

  it('absent roles are []; absent permissions and scope stay absent (no narrowing)', () => {
    const p = toPrincipal({ sub: 'u' });
    expect(p).toEqual({ sub: 'u', roles: [], claims: {} });
    expect('permissions' in p).toBe(false);
    expect('scope' in p).toBe(false);
  });

  it('a scope string splits on spaces; an empty scope is an empty list', () => {
    expect(toPrincipal({ sub: 'u', scope: 'a  b c' }).scope).toEqual(['a', 'b', 'c']);
    expect(toPrincipal({ sub: 'u', scope: '' }).scope).toEqual([]);
  });

  it('a __proto__ claim stays plain data', () => {
    const payload = JSON.parse('{"sub":"u","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const p = toPrincipal(payload);
    expect(Object.hasOwn(p.claims, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((p.claims as Record<string, unknown>).polluted).toBeUndefined();
  });
});
