import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NetworkConfig } from '../config/types.js';
import { applyCorsHeaders } from './cors.js';
import type { AuthenticationManager } from '../auth/index.js';
import type { HttpPipeline } from '../http/caller.js';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { networkStage } from '../pipeline/network-stage.js';
import type { PolicySource } from '../pipeline/policy-source.js';
import { discardEvents, type RecentActivity, type SecurityEvent, type SecurityEventSink } from '../pipeline/security-events.js';
import { tokenStage } from './token-stage.js';

export interface HttpPipelineOptions {
  /** Audit sink: network_denied, authentication_success/failure, awaited before the answer. */
  events?: SecurityEventSink;
  /** Recent failures and blocks per address, for the network policy. */
  recent?: RecentActivity;
}

/** Just the network stage (policy), for the endpoints that ask no token: /health, /health/ready, RFC 9728 metadata. */
export type NetworkGate = (req: IncomingMessage) => Promise<void>;

export function createNetworkGate(policy: PolicySource, logger: Logger, opts: HttpPipelineOptions = {}): NetworkGate {
  const netLog = logger.child({ component: 'network' });
  const events = opts.events ?? discardEvents;
  return async (req) => {
    await networkStage(policy, req, netLog, { events, ...(opts.recent && { recent: opts.recent }) });
  };
}

/**
 * The HTTP-scope stages in lifecycle order: network (policy), then
 * authentication: the token verified, then judged by the policy (stage
 * "token": required scopes). A client the network policy denies costs no
 * token verification.
 */
export function createHttpPipeline(
  policy: PolicySource,
  auth: AuthenticationManager | undefined,
  cors: NetworkConfig['cors'],
  logger: Logger,
  opts: HttpPipelineOptions = {},
): HttpPipeline {
  const events = opts.events ?? discardEvents;
  // No record, no answer: an event that cannot be written fails the request closed.
  const record = async (e: SecurityEvent) => {
    try {
      await events(e);
    } catch {
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE');
    }
  };
  const netLog = logger.child({ component: 'network' });
  const authLog = logger.child({ component: 'authentication' });
  // How callers prove who they are, for the audit trail.
  const method = auth?.resourceServer ? 'oauth2' : 'jwt';
  return async (req: IncomingMessage) => {
    const { clientIp, facts } = await networkStage(policy, req, netLog, { events, ...(opts.recent && { recent: opts.recent }) });
    const client = { ip: clientIp, origin: facts.origin, userAgent: facts.userAgent };
    // express hands the response along with the request; CORS headers only once the Origin passed.
    const res = (req as IncomingMessage & { res?: ServerResponse }).res;
    if (cors?.enabled && facts.origin !== null && res) applyCorsHeaders(res, facts.origin, cors.credentials === true);
    if (!auth) return { client, principal: null };
    let principal;
    try {
      const caller = await auth.authenticateCaller(req.headers.authorization);
      tokenStage(policy, auth, caller, client);
      principal = caller.principal;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason = (err as { detail?: string }).detail;
      authLog.warn('authentication failed', { ip: clientIp, code, reason });
      await record({ event: 'authentication_failure', ip: clientIp, userAgent: facts.userAgent, metadata: { method, code, reason: reason ?? null } });
      throw err;
    }
    // Once per session (its initialize: no Mcp-Session-Id yet) and once per
    // stateless request, not on every request of a session: a session's
    // requests are in the trail as permission records anyway.
    if (req.headers['mcp-session-id'] === undefined) {
      await record({
        event: 'authentication_success',
        user: principal.sub,
        sessionId: principal.sessionId ?? null,
        ip: clientIp,
        userAgent: facts.userAgent,
        metadata: { method, roles: principal.roles, ...(principal.username !== undefined && { username: principal.username }) },
      });
    }
    return { client, principal };
  };
}
