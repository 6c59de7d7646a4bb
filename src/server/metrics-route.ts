import type { Request, Response } from 'express';
import type { CallerContext } from '../hub/types.js';
import { callerOf, type HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import { writeHttpError } from '../http/respond.js';
import { renderMetrics, type HatagoMetrics } from '../metrics/index.js';

/** Runs the hub's MCP stages for an administration method (the policy's decision, audited, rate limited): Hub.admit. */
export type AdminCheck = (ctx: CallerContext, method: string) => Promise<unknown>;

/**
 * GET /metrics: Prometheus text exposition (`?filter=circuit_breaker` keeps
 * matching families). It passes the same network and authentication stages
 * as /mcp, then the policy decides method `admin/metrics` (an admin
 * permission covering admin:metrics:read), audited and rate limited like
 * /health/details' admin/status (docs/metrics.md).
 */
export function metricsRoute(
  metrics: HatagoMetrics,
  front: readonly Stage<HttpExchange>[],
  admit: AdminCheck,
  opts: { observeStages?: StageObserver<unknown>; beforeRender?: () => void } = {},
) {
  const stages = new StageRunner(front);
  if (opts.observeStages) stages.observe(opts.observeStages);
  return async (req: Request, res: Response) => {
    try {
      const x: HttpExchange = { req, res };
      await stages.run(x);
      const base = callerOf(x);
      // Not an MCP request: no protocol revision. Rate-limit headers, if the policy names limits, go on the answer.
      const headers: Record<string, string> = {};
      await admit({ transport: 'http', protocolVersion: 'none', client: base.client, principal: base.principal, responseHeaders: headers }, 'admin/metrics');
      opts.beforeRender?.();
      const filter = typeof req.query.filter === 'string' ? req.query.filter : undefined;
      const text = await renderMetrics(metrics.registry, filter);
      res.status(200).set(headers).type(metrics.registry.contentType).send(text);
    } catch (err) {
      writeHttpError(res, err);
    }
  };
}
