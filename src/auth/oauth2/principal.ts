// Provider claims -> the Principal the policy sees. Providers spell identity
// differently, so: username from preferred_username, then email, then
// username; roles from the configured claim path (Keycloak
// `realm_access.roles`, Okta/Entra `groups`, ...); scope from `scope`
// (space-separated, RFC 9068) or `scp` (a list, as Entra ID sends it).

import type { Principal } from '../../hub/types.js';
import { tokenRejected } from '../errors.js';

/** Claims that become Principal fields; the rest go to `claims` as they are. */
const MAPPED = new Set(['sub', 'permissions', 'scope', 'scp']);

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return v.split(' ').filter((s) => s !== '');
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.filter((s) => s !== '');
  return undefined;
}

/** Walks own properties only, so a claim path can never reach Object.prototype. */
export function claimAt(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = claims;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function tokenScopes(claims: Record<string, unknown>): string[] | undefined {
  return strings(claims.scope) ?? (Array.isArray(claims.scp) ? strings(claims.scp) : undefined);
}

export function oauth2Principal(claims: Record<string, unknown>, rolesClaim: readonly string[]): Principal {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw tokenRejected('bad_claims', 'sub is missing');
  const rawRoles = claimAt(claims, rolesClaim);
  const roles = rawRoles === undefined ? [] : strings(rawRoles);
  if (roles === undefined) throw tokenRejected('bad_claims', `${rolesClaim.join('.')} must be a string or an array of strings`);

  const principal: Principal = {
    sub,
    roles,
    claims: Object.fromEntries(Object.entries(claims).filter(([k]) => !MAPPED.has(k))),
  };
  const username = [claims.preferred_username, claims.email, claims.username].find((v): v is string => typeof v === 'string' && v !== '');
  if (username !== undefined) principal.username = username;
  if (claims.permissions !== undefined) {
    const permissions = Array.isArray(claims.permissions) ? strings(claims.permissions) : undefined;
    if (permissions === undefined) throw tokenRejected('bad_claims', 'permissions must be an array of strings');
    principal.permissions = permissions;
  }
  const scope = tokenScopes(claims);
  if (scope !== undefined) principal.scope = scope;
  return principal;
}
