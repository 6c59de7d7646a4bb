import { describe, expect, it } from '@jest/globals';
import { formatLifetime, readLoginRequest } from '../../../src/auth/endpoints/index.js';
import { HatagoError } from '../../../src/errors/index.js';

function code(body: unknown): string {
  try {
    readLoginRequest(body);
    return 'ok';
  } catch (e) {
    return (e as HatagoError).code;
  }
}

describe('readLoginRequest', () => {
  it('reads the guide body; scope as a list or a space-separated string', () => {
    expect(readLoginRequest({ username: 'user', password: 'password', scope: ['mcp:tools', 'mcp:resources'] })).toEqual({ username: 'user', password: 'password', scope: ['mcp:tools', 'mcp:resources'] });
    expect(readLoginRequest({ username: 'u', password: 'p', scope: 'mcp:tools  mcp:tools mcp:resources' })).toEqual({ username: 'u', password: 'p', scope: ['mcp:tools', 'mcp:resources'] });
    expect(readLoginRequest({ username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'user:password'],
    ['no username', { password: 'p' }],
    ['no password', { username: 'u' }],
    ['an empty username', { username: '', password: 'p' }],
    ['an empty password', { username: 'u', password: '' }],
    ['a number as password', { username: 'u', password: 1234 }],
    ['an object as username', { username: { $ne: null }, password: 'p' }],
    ['an unknown field', { username: 'u', password: 'p', grant_type: 'password' }],
    ['scope with an empty entry', { username: 'u', password: 'p', scope: [''] }],
    ['scope with a number', { username: 'u', password: 'p', scope: [1] }],
    ['scope as an object', { username: 'u', password: 'p', scope: { a: 1 } }],
    ['a huge username', { username: 'u'.repeat(257), password: 'p' }],
    ['a huge password', { username: 'u', password: 'p'.repeat(1025) }],
    ['too many scopes', { username: 'u', password: 'p', scope: Array.from({ length: 65 }, (_, i) => `s${i}`) }],
  ])('refuses %s with ERR_LOGIN_REQUEST_INVALID', (_name, body) => {
    expect(code(body)).toBe('ERR_LOGIN_REQUEST_INVALID');
  });
});

describe('formatLifetime', () => {
  it('writes the largest whole unit, as the guide does', () => {
    expect(formatLifetime(86400)).toBe('24h');
    expect(formatLifetime(3600)).toBe('1h');
    expect(formatLifetime(1800)).toBe('30m');
    expect(formatLifetime(45)).toBe('45s');
    expect(formatLifetime(90)).toBe('90s');
  });
});
