// Stage "authentication": the Bearer token verified (JWT with jose, or the
// OAuth2 resource server), revocation included, then judged by the policy
// (stage "token" of the contract: required scopes). Success and failure are
// in the audit trail before the answer (no record, no answer).

import type { AuthenticationManager } from '../../auth/index.js';
import { HatagoError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import { tokenStage } from '../../server/token-stage.js';
import type { PolicySource } from '../policy-source.js';
import type { HttpExchange } from '../http-exchange.js';
import { discardEvents, type SecurityEvent, type SecurityEventSink } from '../security-events.js';
import type { Stage, StageSpec } from '../stage.js';
import { authenticatedInDecision, type AuthenticationMethod } from './stateless.js';

export const AUTHENTICATION_STAGE: StageSpec = {
  name: 'authentication',
  scope: 'http',
  does: 'Bearer token verified (JWT with jose, or OAuth2 JWKS, introspection or userinfo), then its jti against the revoked tokens, then the policy decides whether the token is enough (stage "token": required scopes); no token verification for a denied client',
  fails: ['ERR_UNAUTHENTICATED', 'ERR_TOKEN_INVALID', 'ERR_TOKEN_EXPIRED', 'ERR_INSUFFICIENT_SCOPE', 'ERR_PERMISSION_DENIED', 'ERR_POLICY_EVALUATION', 'ERR_REVOCATION_UNAVAILABLE', 'ERR_AUTH_PROVIDER_UNAVAILABLE', 'ERR_AUDIT_UNAVAILABLE'],
};

/** How callers of this hub prove who they are, for the audit trail. */
export function authenticationMethod(auth: AuthenticationManager): AuthenticationMethod {
  return auth.resourceServer ? 'oauth2' : 'jwt';
}

/** `policy` is asked for stage "token" on each verified token. */
export function authenticationStage(policy: PolicySource, auth: AuthenticationManager | undefined, logger: Logger, events: SecurityEventSink = discardEvents): Stage<HttpExchange> {
  const log = logger.child({ component: 'authentication' });
  // How callers prove who they are, for the audit trail.
  const method = auth ? authenticationMethod(auth) : 'jwt';
  const record = async (e: SecurityEvent) => {
    try {
      await events(e);
    } catch {
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE');
    }
  };
  return {
    ...AUTHENTICATION_STAGE,
    async run(x) {
      if (!auth) {
        x.principal = null;
        return;
      }
      const ip = x.client?.ip ?? null;
      const userAgent = x.client?.userAgent ?? null;
      let principal;
      try {
        const caller = await auth.authenticateCaller(x.req.headers.authorization);
        tokenStage(policy, auth, caller, x.client ?? { ip, origin: null, userAgent });
        principal = caller.principal;
      } catch (err) {
        const code = (err as { code?: string }).code;
        const reason = (err as { detail?: string }).detail;
        log.warn('authentication failed', { ip, code, reason });
        await record({ event: 'authentication_failure', ip, userAgent, metadata: { method, code, reason: reason ?? null } });
        throw err;
      }
      // Once per session (its initialize: no Mcp-Session-Id yet), not on every
      // request of a session: a session's requests are in the trail as
      // permission records anyway. A stateless request's decision record
      // carries its authentication (src/pipeline/authentication/stateless.ts).
      if (x.req.headers['mcp-session-id'] === undefined && !authenticatedInDecision(x.req.headers)) {
        await record({
          event: 'authentication_success',
          user: principal.sub,
          sessionId: principal.sessionId ?? null,
          ip,
          userAgent,
          metadata: { method, roles: principal.roles, ...(principal.username !== undefined && { username: principal.username }) },
        });
      }
      x.principal = principal;
    },
  };
}
