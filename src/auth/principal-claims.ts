// The identity claims hatago understands, their types, and how they become a
// Principal. Used by both verify (reject a token) and sign (refuse to mint
// a token verify would reject).

import type { Principal } from '../hub/types.js';

/** Claims mapped to Principal fields; everything else goes to `claims`. */
const MAPPED = new Set(['sub', 'username', 'roles', 'permissions', 'scope', 'sessionId']);

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');
}

/** Why `payload` cannot describe a principal, or undefined when it can. */
export function principalClaimsProblem(payload: Record<string, unknown>): string | undefined {
  const { sub, username, roles, permissions, scope, sessionId } = payload;
  if (sub === undefined) return 'sub is missing';
  if (typeof sub !== 'string' || sub === '') return 'sub must be a non-empty string';
  if (username !== undefined && typeof username !== 'string') return 'username must be a string';
  // A string is refused rather than split: no separator is standard for roles.
  if (roles !== undefined && !isStringArray(roles)) return 'roles must be an array of non-empty strings';
  if (permissions !== undefined && !isStringArray(permissions)) return 'permissions must be an array of non-empty strings';
  if (scope !== undefined && typeof scope !== 'string' && !isStringArray(scope)) {
    return 'scope must be a space-separated string or an array of non-empty strings';
  }
  if (sessionId !== undefined && typeof sessionId !== 'string') return 'sessionId must be a string';
  return undefined;
}

/** Maps checked claims (see principalClaimsProblem) to a Principal. */
export function toPrincipal(payload: Record<string, unknown>): Principal {
  const p = payload as {
    sub: string;
    username?: string;
    roles?: string[];
    permissions?: string[];
    scope?: string | string[];
    sessionId?: string;
  };
  const principal: Principal = {
    sub: p.sub,
    roles: [...(p.roles ?? [])],
    // fromEntries defines own properties, so a `__proto__` claim stays data.
    claims: Object.fromEntries(Object.entries(payload).filter(([k]) => !MAPPED.has(k))),
  };
  if (p.username !== undefined) principal.username = p.username;
  if (p.permissions !== undefined) principal.permissions = [...p.permissions];
  if (p.scope !== undefined) {
    // RFC 6749 §3.3: scope tokens are separated by spaces.
    principal.scope = typeof p.scope === 'string' ? p.scope.split(' ').filter((s) => s !== '') : [...p.scope];
  }
  if (p.sessionId !== undefined) principal.sessionId = p.sessionId;
  return principal;
}
