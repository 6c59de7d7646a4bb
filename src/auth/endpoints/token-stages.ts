// The stages of POST /auth/login, /logout and /refresh, run by the same
// runner as /mcp (src/pipeline/stage.ts) along TOKEN_LIFECYCLE: the network
// stage of /mcp, the bearer token (refresh, logout), the policy stage "auth"
// with its rate limits before any body is read, the body, the endpoint.

import type { ServerResponse } from 'node:http';
import type { Principal } from '../../hub/types.js';
import type { HttpExchange } from '../../pipeline/http-exchange.js';
import type { StageSpec } from '../../pipeline/stage.js';
import type { TokenEndpoint } from './auth-stage.js';
import type { LoginRequest } from './login-request.js';

export interface TokenExchange extends HttpExchange {
  readonly res: ServerResponse;
  readonly endpoint: TokenEndpoint;
  /** token: the verified bearer token (refresh, logout). */
  bearer?: Principal;
  /** The auth-stage decision. */
  decisionId?: string;
  /** body (login): the credentials. */
  login?: LoginRequest;
}

export const TOKEN_STAGE: StageSpec = {
  name: 'token',
  scope: 'http',
  does: 'refresh and logout: the Bearer token verified as at the authentication stage, revocation included',
  fails: ['ERR_UNAUTHENTICATED', 'ERR_TOKEN_INVALID', 'ERR_TOKEN_EXPIRED', 'ERR_REVOCATION_UNAVAILABLE', 'ERR_AUDIT_UNAVAILABLE'],
};

export const LOGIN_POLICY_STAGE: StageSpec = {
  name: 'auth-policy',
  scope: 'http',
  does: 'the policy (stage "auth", package hatago.login) allows the endpoint and names its rate limits, counted before the body is read',
  fails: ['ERR_PERMISSION_DENIED', 'ERR_POLICY_EVALUATION', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMIT_UNAVAILABLE', 'ERR_AUDIT_UNAVAILABLE'],
};

export const BODY_STAGE: StageSpec = {
  name: 'body',
  scope: 'http',
  does: 'login: the JSON body (16 KiB at most) with username, password and an optional scope',
  fails: ['ERR_UNSUPPORTED_MEDIA_TYPE', 'ERR_BODY_TOO_LARGE', 'ERR_PARSE', 'ERR_LIMIT_EXCEEDED', 'ERR_LOGIN_REQUEST_INVALID'],
};

export const ENDPOINT_STAGE: StageSpec = {
  name: 'endpoint',
  scope: 'http',
  does: 'the password checked (one answer for every cause), or the token revoked (logout) or rotated (refresh), recorded before the answer',
  fails: ['ERR_LOGIN_FAILED', 'ERR_TOKEN_NOT_REVOCABLE', 'ERR_TOKEN_INVALID', 'ERR_REVOCATION_UNAVAILABLE', 'ERR_AUDIT_UNAVAILABLE'],
};
