import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NetworkConfig } from '../config/types.js';
import { applyCorsHeaders } from './cors.js';
import type { AuthenticationManager } from '../auth/index.js';
import type { HttpPipeline } from '../http/caller.js';
import type { Logger } from '../log/logger.js';
import { checkNetwork } from '../pipeline/network-stage.js';
import type { PolicySource } from '../pipeline/policy-source.js';

/**
 * The HTTP-scope stages in lifecycle order: network (policy), then
 * authentication. A client the network policy denies costs no token
 * verification.
 */
export function createHttpPipeline(
  policy: PolicySource,
  auth: AuthenticationManager | undefined,
  cors: NetworkConfig['cors'],
  logger: Logger,
): HttpPipeline {
  const netLog = logger.child({ component: 'network' });
  const authLog = logger.child({ component: 'authentication' });
  return async (req: IncomingMessage) => {
    const { clientIp, facts } = checkNetwork(policy, req, netLog);
    const client = { ip: clientIp, origin: facts.origin, userAgent: facts.userAgent };
    // express hands the response along with the request; CORS headers only once the Origin passed.
    const res = (req as IncomingMessage & { res?: ServerResponse }).res;
    if (cors?.enabled && facts.origin !== null && res) applyCorsHeaders(res, facts.origin, cors.credentials === true);
    if (!auth) return { client, principal: null };
    try {
      const principal = await auth.authenticate(req.headers.authorization);
      return { client, principal };
    } catch (err) {
      authLog.warn('authentication failed', { ip: clientIp, code: (err as { code?: string }).code, reason: (err as { detail?: string }).detail });
      throw err;
    }
  };
}
