import type { Request, Response } from 'express';
import type { HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import { writeHttpError } from '../http/respond.js';
import { renderMetrics, type HatagoMetrics } from '../metrics/index.js';

/**
 * GET /metrics: Prometheus text exposition (`?filter=circuit_breaker` keeps
 * matching families). It passes the same network and authentication stages
 * as /mcp, so it is never more open than the MCP endpoint.
 */
export function metricsRoute(metrics: HatagoMetrics, front: readonly Stage<HttpExchange>[], opts: { observeStages?: StageObserver<unknown>; beforeRender?: () => void } = {}) {
  const stages = new StageRunner(front);
  if (opts.observeStages) stages.observe(opts.observeStages);
  return async (req: Request, res: Response) => {
    try {
      await stages.run({ req, res });
      opts.beforeRender?.();
      const filter = typeof req.query.filter === 'string' ? req.query.filter : undefined;
      const text = await renderMetrics(metrics.registry, filter);
      res.status(200).type(metrics.registry.contentType).send(text);
    } catch (err) {
      writeHttpError(res, err);
    }
  };
}
