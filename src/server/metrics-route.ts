import type { Request, Response } from 'express';
import type { HttpPipeline } from '../http/caller.js';
import { writeHttpError } from '../http/respond.js';
import { renderMetrics, type HatagoMetrics } from '../metrics/index.js';

/**
 * GET /metrics: Prometheus text exposition (`?filter=circuit_breaker` keeps
 * matching families). It passes the same network and authentication stages
 * as /mcp, so it is never more open than the MCP endpoint.
 */
export function metricsRoute(metrics: HatagoMetrics, pipeline: HttpPipeline) {
  return async (req: Request, res: Response) => {
    try {
      await pipeline(req);
      const filter = typeof req.query.filter === 'string' ? req.query.filter : undefined;
      const text = await renderMetrics(metrics.registry, filter);
      res.status(200).type(metrics.registry.contentType).send(text);
    } catch (err) {
      writeHttpError(res, err);
    }
  };
}
