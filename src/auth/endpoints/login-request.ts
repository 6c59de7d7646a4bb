// The body of POST /auth/login, as the guide shows it:
//   {"username": "user", "password": "password", "scope": ["mcp:tools", "mcp:resources"]}
// Anything else is ERR_LOGIN_REQUEST_INVALID (400), before any password check.

import { HatagoError } from '../../errors/index.js';

export interface LoginRequest {
  username: string;
  password: string;
  /** Requested scope, as a list; absent: the token carries no scope claim. */
  scope?: string[];
}

const FIELDS = new Set(['username', 'password', 'scope']);
const MAX_USERNAME = 256;
const MAX_PASSWORD = 1024;
const MAX_SCOPES = 64;
const MAX_SCOPE_LENGTH = 256;

function invalid(detail: string): HatagoError {
  return new HatagoError('ERR_LOGIN_REQUEST_INVALID', { detail });
}

function readScope(v: unknown): string[] {
  // RFC 6749 §3.3: a string scope is space-separated.
  const list = typeof v === 'string' ? v.split(' ').filter((s) => s !== '') : v;
  if (!Array.isArray(list) || list.length > MAX_SCOPES) throw invalid(`scope must be a string or a list of at most ${MAX_SCOPES} strings`);
  for (const s of list) {
    if (typeof s !== 'string' || s === '' || s.length > MAX_SCOPE_LENGTH || /\s/.test(s)) throw invalid('scope entries must be non-empty strings without spaces');
  }
  return [...new Set(list as string[])];
}

export function readLoginRequest(body: unknown): LoginRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body is not a JSON object');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (extra.length > 0) throw invalid(`unknown field(s): ${extra.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 32))).join(', ')}`);
  if (typeof b.username !== 'string' || b.username === '' || b.username.length > MAX_USERNAME) throw invalid(`username must be a string of 1 to ${MAX_USERNAME} characters`);
  if (typeof b.password !== 'string' || b.password === '' || b.password.length > MAX_PASSWORD) throw invalid(`password must be a string of 1 to ${MAX_PASSWORD} characters`);
  const req: LoginRequest = { username: b.username, password: b.password };
  if (b.scope !== undefined) req.scope = readScope(b.scope);
  return req;
}
