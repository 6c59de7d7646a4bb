// POST /auth/login, /auth/logout and /auth/refresh: the guide's built-in
// token endpoint and its siblings. Each call runs the stages of
// TOKEN_LIFECYCLE (src/pipeline/lifecycle.ts) from the one runner:
//   network (same stage as /mcp; a denied client costs nothing)
//   -> token (refresh, logout)
//   -> auth-policy (stage "auth": allow + rate limits, before the body is read)
//   -> body (login) -> endpoint.
// Every outcome that the guide's audit section names is recorded before the
// answer; no record, no answer (ERR_AUDIT_UNAVAILABLE).

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Router } from 'express';
import { decodeJwt } from 'jose';
import { HatagoError } from '../../errors/index.js';
import { readJsonBody } from '../../http/body.js';
import type { Principal } from '../../hub/types.js';
import type { Logger } from '../../log/logger.js';
import type { HttpExchange } from '../../pipeline/http-exchange.js';
import { TOKEN_LIFECYCLE } from '../../pipeline/lifecycle.js';
import type { PolicySource } from '../../pipeline/policy-source.js';
import type { SecurityEvent, SecurityEventSink } from '../../pipeline/security-events.js';
import { StageRunner, type Stage, type StageObserver } from '../../pipeline/stage.js';
import type { RateLimitStore } from '../../ratelimit/index.js';
import type { AuthenticationManager } from '../manager.js';
import type { RevokedTokenStore } from '../revocation/types.js';
import type { TokenClaims } from '../sign-token.js';
import type { PasswordAuthenticator, UserStore } from '../users/index.js';
import { authStage, type AuthStageCaller, type TokenEndpoint } from './auth-stage.js';
import { readLoginRequest } from './login-request.js';
import { formatLifetime, sendError, sendNoContent, sendToken } from './respond.js';
import { BODY_STAGE, ENDPOINT_STAGE, LOGIN_POLICY_STAGE, TOKEN_STAGE, type TokenExchange } from './token-stages.js';

export interface TokenEndpointsOptions {
  auth: AuthenticationManager;
  users: UserStore;
  passwords: PasswordAuthenticator;
  revoked: RevokedTokenStore;
  policy: PolicySource;
  rateLimits: RateLimitStore;
  /** Audit sink (wrapped by the suspicious-activity monitor in the hub). */
  events: SecurityEventSink;
  /** The network stage of /mcp (policy, audit, blocks). */
  network: Stage<HttpExchange>;
  /** Told about every stage run (metrics, traces). */
  observeStages?: StageObserver<unknown>;
  logger: Logger;
}

/** A login body is tiny: refuse anything bigger before reading it. */
const MAX_LOGIN_BODY = 16 * 1024;
/** Claims the signer sets itself on the new token. */
const REGISTERED = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);

export function tokenEndpoints(opts: TokenEndpointsOptions): Router {
  const log = opts.logger.child({ component: 'token-endpoint' });
  const record = async (e: SecurityEvent) => {
    try {
      await opts.events(e);
    } catch {
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE');
    }
  };
  const stageDeps = { policy: opts.policy, rateLimits: opts.rateLimits, events: record, logger: log };
  const expiresIn = formatLifetime(opts.auth.expiresInSeconds);

  const who = (x: TokenExchange): AuthStageCaller => x.client ?? { ip: null, origin: null, userAgent: null };

  /** The bearer token of refresh and logout, verified (revocation included). */
  const bearer = async (req: IncomingMessage, who: AuthStageCaller, method: TokenEndpoint): Promise<Principal> => {
    try {
      return await opts.auth.authenticate(req.headers.authorization);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason = (err as { detail?: string }).detail ?? null;
      log.warn('token refused', { method, ip: who.ip, code, reason });
      await record({ event: 'authentication_failure', ip: who.ip, userAgent: who.userAgent, metadata: { method: 'jwt', endpoint: method, code, reason } });
      throw err;
    }
  };

  const login = async (x: TokenExchange) => {
    const { res } = x;
    const who = x.client!;
    const decisionId = x.decisionId!;
    const body = x.login!;
    const check = await opts.passwords.check(body.username, body.password);
    if (!check.ok) {
      log.warn('login failed', { ip: who.ip, reason: check.reason, decisionId });
      await record({
        event: 'authentication_failure',
        user: body.username,
        ip: who.ip,
        userAgent: who.userAgent,
        decisionId,
        metadata: { method: 'password', reason: check.reason },
      });
      // One answer for every cause: the client never learns which it was.
      throw new HatagoError('ERR_LOGIN_FAILED', { detail: check.reason });
    }
    const user = check.user;
    const claims: TokenClaims = { sub: user.sub, username: user.username, roles: user.roles, sessionId: randomUUID() };
    if (user.permissions !== undefined) claims.permissions = user.permissions;
    // Scope only narrows: the policy intersects it with the roles on every request.
    if (body.scope !== undefined) claims.scope = body.scope;
    const token = await opts.auth.generateToken(claims);
    await record({
      event: 'authentication_success',
      user: user.sub,
      sessionId: claims.sessionId ?? null,
      ip: who.ip,
      userAgent: who.userAgent,
      decisionId,
      metadata: { method: 'password', username: user.username, roles: user.roles, jti: decodeJwt(token).jti, ...(body.scope && { scope: body.scope }) },
    });
    sendToken(res, { token, expiresIn, tokenType: 'Bearer' });
  };

  /** jti and exp of a verified token: without both it cannot be revoked. */
  const revocable = (p: Principal): { jti: string; expMs: number } => {
    const { jti, exp } = p.claims;
    if (typeof jti !== 'string' || jti === '' || typeof exp !== 'number') throw new HatagoError('ERR_TOKEN_NOT_REVOCABLE', { detail: 'token has no jti or exp' });
    return { jti, expMs: exp * 1000 };
  };

  const logout = async (x: TokenExchange) => {
    const { res } = x;
    const who = x.client!;
    const principal = x.bearer!;
    const decisionId = x.decisionId!;
    const { jti, expMs } = revocable(principal);
    // false: revoked meanwhile by a concurrent call; the outcome is the same.
    await opts.revoked.revoke(jti, expMs);
    await record({ event: 'logout', user: principal.sub, sessionId: principal.sessionId ?? null, ip: who.ip, userAgent: who.userAgent, decisionId, metadata: { jti } });
    sendNoContent(res);
  };

  /**
   * The user a refreshed token is re-issued for, read again from the store:
   * a user removed or disabled since login gets no new token, and the new
   * token carries the store's roles and permissions, not the old token's.
   */
  const currentUser = async (principal: Principal, who: AuthStageCaller) => {
    const user = principal.username !== undefined ? opts.users.find(principal.username) : undefined;
    const reason = !user || user.sub !== principal.sub ? 'user_unknown' : user.disabled ? 'user_disabled' : undefined;
    if (reason === undefined) return user!;
    log.warn('refresh refused', { ip: who.ip, user: principal.sub, reason });
    await record({ event: 'authentication_failure', user: principal.sub, ip: who.ip, userAgent: who.userAgent, metadata: { method: 'jwt', endpoint: 'auth/refresh', code: 'ERR_TOKEN_INVALID', reason } });
    throw new HatagoError('ERR_TOKEN_INVALID', { detail: reason });
  };

  const refresh = async (x: TokenExchange) => {
    const { res } = x;
    const who = x.client!;
    const principal = x.bearer!;
    const decisionId = x.decisionId!;
    const { jti, expMs } = revocable(principal);
    const user = await currentUser(principal, who);
    // Rotation: revoke first, atomically. Of two concurrent refreshes of one token, one wins.
    if (!(await opts.revoked.revoke(jti, expMs))) throw new HatagoError('ERR_TOKEN_INVALID', { detail: 'revoked' });
    const claims = sameClaims(principal);
    claims.roles = [...user.roles];
    if (user.permissions !== undefined) claims.permissions = [...user.permissions];
    else delete claims.permissions;
    const token = await opts.auth.generateToken(claims);
    await record({
      event: 'token_refresh',
      user: principal.sub,
      sessionId: principal.sessionId ?? null,
      ip: who.ip,
      userAgent: who.userAgent,
      decisionId,
      metadata: { revokedJti: jti, jti: decodeJwt(token).jti, roles: user.roles },
    });
    sendToken(res, { token, expiresIn, tokenType: 'Bearer' });
  };

  const stages = (endpoint: (x: TokenExchange) => Promise<void>, withBearer: boolean, withBody: boolean) => {
    const runner = new StageRunner<TokenExchange>([
      opts.network,
      ...(withBearer ? [{ ...TOKEN_STAGE, run: async (x: TokenExchange) => void (x.bearer = await bearer(x.req, who(x), x.endpoint)) }] : []),
      { ...LOGIN_POLICY_STAGE, run: async (x: TokenExchange) => void (x.decisionId = await authStage(stageDeps, x.endpoint, who(x), x.bearer ?? null, x.res)) },
      ...(withBody ? [{ ...BODY_STAGE, run: async (x: TokenExchange) => void (x.login = readLoginRequest(await readJsonBody(x.req, MAX_LOGIN_BODY))) }] : []),
      { ...ENDPOINT_STAGE, run: endpoint },
    ], log, TOKEN_LIFECYCLE);
    if (opts.observeStages) runner.observe(opts.observeStages);
    return runner;
  };

  const router = express.Router();
  const handle = (endpoint: TokenEndpoint, runner: StageRunner<TokenExchange>) => async (req: express.Request, res: express.Response) => {
    try {
      await runner.run({ req, res, endpoint });
    } catch (err) {
      if (!(err instanceof HatagoError)) log.error('unexpected error on a token endpoint', { path: req.path, error: err instanceof Error ? err.stack ?? err.message : String(err) });
      sendError(res, err);
    }
  };
  router.post('/login', handle('auth/login', stages(login, false, true)));
  router.post('/logout', handle('auth/logout', stages(logout, true, false)));
  router.post('/refresh', handle('auth/refresh', stages(refresh, true, false)));
  for (const path of ['/login', '/logout', '/refresh']) {
    router.all(path, (_req, res) => {
      res.setHeader('Allow', 'POST');
      sendError(res, new HatagoError('ERR_METHOD_NOT_ALLOWED'));
    });
  }
  return router;
}

/** The claims of a verified token, without those the signer sets anew. */
function sameClaims(p: Principal): TokenClaims {
  // fromEntries and spread define own properties: a `__proto__` claim stays data.
  const claims: TokenClaims = { ...Object.fromEntries(Object.entries(p.claims).filter(([k]) => !REGISTERED.has(k))), sub: p.sub, roles: p.roles };
  if (p.username !== undefined) claims.username = p.username;
  if (p.permissions !== undefined) claims.permissions = p.permissions;
  if (p.scope !== undefined) claims.scope = p.scope;
  if (p.sessionId !== undefined) claims.sessionId = p.sessionId;
  return claims;
}
