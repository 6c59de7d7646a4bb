import type { Request, Response } from 'express';
import type { HttpPipeline } from '../http/caller.js';
import { writeHttpError } from '../http/respond.js';
import type { RequestGuard } from '../hub/types.js';
import { renderMetrics, type HatagoMetrics } from '../metrics/index.js';

/**
 * GET /metrics: Prometheus text exposition (`?filter=circuit_breaker` keeps
 * matching families). It passes the same network and authentication stages
 * as /mcp, then the policy decides method `admin/metrics` (an admin
 * permission covering admin:metrics:read), audited and rate limited like
 * /health/details' admin/status (docs/metrics.md).
 */
export function metricsRoute(metrics: HatagoMetrics, pipeline: HttpPipeline, guard: RequestGuard) {
  return async (req: Request, res: Response) => {
    try {
      const base = await pipeline(req);
      // Not an MCP request: no protocol revision. Rate-limit headers, if the policy names limits, go on the answer.
      const headers: Record<string, string> = {};
      await guard.check({ transport: 'http', protocolVersion: 'none', client: base.client, principal: base.principal, responseHeaders: headers }, { method: 'admin/metrics' });
      const filter = typeof req.query.filter === 'string' ? req.query.filter : undefined;
      const text = await renderMetrics(metrics.registry, filter);
      res.status(200).set(headers).type(metrics.registry.contentType).send(text);
    } catch (err) {
      writeHttpError(res, err);
    }
  };
}
