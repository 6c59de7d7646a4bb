// The express app: POST/GET/DELETE /mcp, and the health endpoints:
//   GET /health          liveness, no detail (the network policy lets every
//                        address through by default: probes)
//   GET /health/ready    readiness, no detail (as /health)
//   GET /health/details  upstreams, breakers, policy: the pipeline (network +
//                        authentication) and the policy's answer for method
//                        admin/status first, like an MCP request.
// The injected pipeline (network + authentication stages, owned by
// src/pipeline) runs before anything of /mcp is read; its HatagoError ends
// the exchange with the error's status.

import express, { type Express, type Request, type Response } from 'express';
import { HatagoError } from '../errors/index.js';
import type { Hub } from '../hub/hub.js';
import type { HubLogger, RequestGuard } from '../hub/types.js';
import { anonymousPipeline, type CallerBase, type HttpPipeline } from './caller.js';
import { McpEndpoint, type TokenCheck } from './mcp-endpoint.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import { writeHttpError, writeJson } from './respond.js';
import type { StructureLimits } from '../validation/index.js';

export interface HttpAppOptions {
  hub: Hub;
  logger: HubLogger;
  /** Network + authentication stages. Default: an anonymous caller. */
  pipeline?: HttpPipeline;
  /**
   * The network stage alone, before /health and /health/ready answer: the
   * policy decides whether these open endpoints are open (docs/health.md).
   * Absent: they answer everyone.
   */
  networkGate?: (req: Request) => Promise<void>;
  /** Extra /health/details fields, e.g. `{ policy: { revision } }`. */
  healthExtras?: () => Record<string, unknown>;
  /**
   * Asked for method `admin/status` before /health/details answers (the
   * policy's decision, audited, rate limited). Absent: /health/details is not served.
   */
  statusGuard?: RequestGuard;
  maxBodyBytes?: number;
  /** Structural limits of every /mcp body (security.validation). */
  limits?: StructureLimits;
  /** With authentication: sessions and GET streams end when their token is revoked or expires. */
  tokenCheck?: TokenCheck;
  /** Audit sink for session_closed. */
  events?: SecurityEventSink;
}

export interface HttpApp {
  app: Express;
  /** Ends every MCP session (call before closing the HTTP server). */
  close(): void;
  sessionCount(): number;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const pipeline = opts.pipeline ?? anonymousPipeline;
  const endpoint = new McpEndpoint({
    hub: opts.hub,
    logger: opts.logger,
    ...(opts.maxBodyBytes !== undefined && { maxBodyBytes: opts.maxBodyBytes }),
    ...(opts.limits !== undefined && { limits: opts.limits }),
    ...(opts.tokenCheck && { tokenCheck: opts.tokenCheck }),
    ...(opts.events && { events: opts.events }),
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const mcp = (handle: (req: Request, res: Response, base: CallerBase) => Promise<void> | void) => async (req: Request, res: Response) => {
    try {
      const base = await pipeline(req);
      await handle(req, res, base);
    } catch (err) {
      if (res.headersSent) {
        opts.logger.warn('error after the response started', { error: String(err) });
        if (!res.writableEnded) res.end();
        return;
      }
      if (!(err instanceof HatagoError)) opts.logger.error('unexpected error on /mcp', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
      writeHttpError(res, err);
    }
  };

  app.post('/mcp', mcp((req, res, base) => endpoint.post(req, res, base)));
  app.get('/mcp', mcp((req, res, base) => endpoint.get(req, res, base)));
  app.delete('/mcp', mcp((req, res, base) => endpoint.delete(req, res, base)));
  app.all('/mcp', (_req, res) => writeHttpError(res, new HatagoError('ERR_METHOD_NOT_ALLOWED')));

  // The probes pass the network stage only (the shipped policy opens them to every address).
  const gate = opts.networkGate;
  const probe = (answer: (res: Response) => void) => async (req: Request, res: Response) => {
    try {
      if (gate) await gate(req);
      answer(res);
    } catch (err) {
      if (!(err instanceof HatagoError)) opts.logger.error('unexpected error on a health probe', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
      writeHttpError(res, err);
    }
  };

  // Liveness: the process serves HTTP. Nothing else.
  app.get('/health', probe((res) => writeJson(res, 200, { status: 'ok' }, NO_STORE)));

  // Readiness, without naming anything: 503 only when upstreams are configured and none is ready.
  app.get('/health/ready', probe((res) => {
    const upstreams = opts.hub.status();
    const ready = upstreams.filter((u) => u.state === 'ready').length;
    if (upstreams.length > 0 && ready === 0) return writeJson(res, 503, { status: 'not_ready' }, NO_STORE);
    writeJson(res, 200, { status: ready === upstreams.length ? 'ready' : 'degraded' }, NO_STORE);
  }));

  const statusGuard = opts.statusGuard;
  if (statusGuard) {
    app.get('/health/details', async (req, res) => {
      try {
        const base = await pipeline(req);
        // Not an MCP request: no protocol revision. Rate-limit headers, if the policy names limits, go on the answer.
        const headers: Record<string, string> = {};
        await statusGuard.check({ transport: 'http', protocolVersion: 'none', client: base.client, principal: base.principal, responseHeaders: headers }, { method: 'admin/status' });
        const upstreams = opts.hub.status();
        const ready = upstreams.filter((u) => u.state === 'ready').length;
        const status = ready === upstreams.length ? 'ok' : 'degraded';
        writeJson(res, 200, { status, upstreams, ...opts.healthExtras?.() }, { ...headers, ...NO_STORE });
      } catch (err) {
        if (!(err instanceof HatagoError)) opts.logger.error('unexpected error on /health/details', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
        writeHttpError(res, err);
      }
    });
  }

  return { app, close: () => endpoint.closeAll(), sessionCount: () => endpoint.sessionCount };
}
