import type { NextFunction, Request, Response } from 'express';
import type { NetworkConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import { writeHttpError } from '../http/respond.js';
import type { Logger } from '../log/logger.js';
import { networkStage, type NetworkStageOptions } from '../pipeline/network-stage.js';
import type { PolicySource } from '../pipeline/policy-source.js';

const ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID';
const EXPOSE_HEADERS = 'Mcp-Session-Id, WWW-Authenticate, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-RetryAfter, Retry-After';

/**
 * CORS for browser clients. Whether an Origin is allowed is the network
 * policy's decision (a disallowed Origin never gets here: 403); this only
 * adds the headers when `security.network.cors.enabled`, and answers
 * preflights after asking the same policy.
 */
export function corsPreflight(cors: NetworkConfig['cors'], policy: PolicySource, logger: Logger, stage: NetworkStageOptions = {}) {
  const log = logger.child({ component: 'network' });
  return async (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    try {
      // The same network stage as every other request: blocks and audit included.
      await networkStage(policy, req, log, stage);
    } catch (err) {
      writeHttpError(res, err);
      return;
    }
    if (!cors?.enabled || typeof origin !== 'string') {
      writeHttpError(res, new HatagoError('ERR_METHOD_NOT_ALLOWED'));
      return;
    }
    applyCorsHeaders(res, origin, cors.credentials === true);
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}

/** Adds CORS headers to an allowed request (called after the network stage passed). */
export function applyCorsHeaders(res: { setHeader(name: string, value: string): unknown }, origin: string, credentials: boolean): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
  if (credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
}
