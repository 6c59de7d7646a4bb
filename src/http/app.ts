// The express app: POST/GET/DELETE /mcp, and the health endpoints:
//   GET /health          liveness, no detail (the network stage alone; the
//                        shipped policy lets every address through: probes)
//   GET /health/ready    readiness, no detail (as /health); 503 while draining
//   GET /health/details  upstreams, breakers, policy: the pipeline (network +
//                        authentication) and the policy's answer for method
//                        admin/status first, like an MCP request.
// The HTTP stages run from one runner (src/pipeline/stage.ts): the injected
// network and authentication stages, then for /mcp validation and transport;
// the first HatagoError ends the exchange with the error's status.

import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import { HatagoError } from '../errors/index.js';
import type { Hub } from '../hub/hub.js';
import type { HubLogger } from '../hub/types.js';
import { ANONYMOUS_STAGES } from './caller.js';
import { McpEndpoint, type TokenCheck } from './mcp-endpoint.js';
import { callerOf, type HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import { validationStage } from '../pipeline/validation/stage.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import { readiness } from './readiness.js';
import { writeHttpError, writeJson } from './respond.js';
import type { StructureLimits } from '../validation/index.js';
import type { SessionIndex } from '../sessions/session-index.js';
import type { SessionBus } from '../sessions/session-bus.js';

export interface HttpAppOptions {
  hub: Hub;
  logger: HubLogger;
  /** The network and authentication stages, in that order. Default: an anonymous caller. */
  front?: readonly Stage<HttpExchange>[];
  /** Extra /health/details fields, e.g. `{ policy: { revision } }`. */
  healthExtras?: () => Record<string, unknown>;
  /**
   * Serve /health/details: method `admin/status` runs the hub's MCP stages
   * first (the policy's decision, audited, rate limited). Default true.
   */
  healthDetails?: boolean;
  maxBodyBytes?: number;
  /** Structural limits of every /mcp body (security.validation). */
  limits?: StructureLimits;
  /** With authentication: sessions and GET streams end when their token is revoked or expires. */
  tokenCheck?: TokenCheck;
  /** Audit sink for session_closed. */
  events?: SecurityEventSink;
  /** Told about every HTTP stage run (metrics, traces). */
  observeStages?: StageObserver<unknown>;
  /** Traces, when on: a span per HTTP request, a child per stage (src/telemetry). */
  tracing?: Pick<Tracing, 'http' | 'stageStarted' | 'stageEnded'>;
  /** True while the replica drains (SIGTERM): readiness answers 503 draining, liveness stays 200. */
  draining?: () => boolean;
  /** Where 2025-11-25 sessions are known, and the other replicas (cluster.enabled). Default: this process. */
  sessions?: { index: SessionIndex; bus?: SessionBus };
}

export interface HttpApp {
  app: Express;
  /** Ends every MCP session (call before closing the HTTP server). */
  close(): void;
  sessionCount(): number;
  /** A request on 2025-11-25 session `id` must be served by this process (one hub; behind a balancer any replica serves it). */
  hasSession(id: string): boolean;
  /** The stages every /mcp request runs, in order (before the MCP stages of each JSON-RPC request). */
  readonly stages: readonly Stage<HttpExchange>[];
  /**
   * The /mcp handler itself, for a request `isPlainMcp` accepts: what `app`
   * would run for it, without the router in front (see there).
   */
  serveMcp(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * POST, GET or DELETE on exactly `/mcp`: requests `app` would route to the
 * /mcp handler (express also takes other spellings, `/MCP`, `/mcp/`, a query,
 * which stay with it). The front server may hand these to `serveMcp`
 * directly: express's routing was about a twentieth of a forwarded call's CPU.
 */
export function isPlainMcp(req: IncomingMessage): boolean {
  return req.url === '/mcp' && (req.method === 'POST' || req.method === 'GET' || req.method === 'DELETE');
}

export const NO_STORE = { 'Cache-Control': 'no-store' };

export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const front = opts.front ?? ANONYMOUS_STAGES;
  const endpoint = new McpEndpoint({
    hub: opts.hub,
    logger: opts.logger,
    ...(opts.tokenCheck && { tokenCheck: opts.tokenCheck }),
    ...(opts.events && { events: opts.events }),
    ...(opts.sessions && { index: opts.sessions.index }),
    ...(opts.sessions?.bus && { bus: opts.sessions.bus }),
  });
  // /mcp: every HTTP stage of the lifecycle; other endpoints: network and authentication.
  const mcpStages = new StageRunner<HttpExchange>([...front, validationStage(opts.limits, opts.maxBodyBytes ?? opts.limits?.maxBodyBytes), endpoint.stage], opts.logger);
  const frontStages = new StageRunner<HttpExchange>(front, opts.logger);
  // The probes ask no token: the front's network stage alone, whose policy decides whether they are open (docs/health.md).
  const probeStages = new StageRunner<HttpExchange>(front.filter((s) => s.name === 'network'), opts.logger);
  // Other HTTP methods on /mcp: the network stage, then the transport's 405; no token is verified for them.
  const otherStages = new StageRunner<HttpExchange>([...front.filter((s) => s.name === 'network'), endpoint.stage], opts.logger);
  for (const r of [mcpStages, frontStages, probeStages, otherStages]) {
    if (opts.observeStages) r.observe(opts.observeStages);
    if (opts.tracing) {
      r.onStart(opts.tracing.stageStarted);
      r.observe(opts.tracing.stageEnded);
    }
  }
  /** Opens the request's span (traces on) and ends it when the answer is done. */
  const traced = (x: HttpExchange, route: string) => {
    const end = opts.tracing?.http(x, route);
    if (end) x.res.once('close', () => end(x.res.statusCode));
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const mcp = (stages: StageRunner<HttpExchange>) => async (req: IncomingMessage, res: ServerResponse) => {
    const x: HttpExchange = { req, res };
    traced(x, '/mcp');
    try {
      await stages.run(x);
      await endpoint.dispatch(x);
    } catch (err) {
      if (res.headersSent) {
        opts.logger.warn('error after the response started', { error: String(err) });
        if (!res.writableEnded) res.end();
        return;
      }
      if (!(err instanceof HatagoError)) opts.logger.error('unexpected error on /mcp', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
      writeHttpError(res, err, x.replyId ?? null);
    }
  };
  const serveMcp = mcp(mcpStages);
  for (const method of ['post', 'get', 'delete'] as const) app[method]('/mcp', serveMcp);
  app.all('/mcp', mcp(otherStages));

  const probe = (answer: (res: Response) => void) => async (req: Request, res: Response) => {
    try {
      await probeStages.run({ req, res });
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
    if (opts.draining?.() === true) return writeJson(res, 503, { status: 'draining' }, NO_STORE);
    const { status, body } = readiness(opts.hub.status());
    writeJson(res, status, body, NO_STORE);
  }));

  if (opts.healthDetails !== false) {
    app.get('/health/details', async (req, res) => {
      try {
        const x: HttpExchange = { req, res };
        traced(x, '/health/details');
        await frontStages.run(x);
        const base = callerOf(x);
        // Not an MCP request: no protocol revision. Rate-limit headers, if the policy names limits, go on the answer.
        const headers: Record<string, string> = {};
        await opts.hub.admit({ transport: 'http', protocolVersion: 'none', client: base.client, principal: base.principal, responseHeaders: headers }, 'admin/status');
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

  return {
    app,
    close: () => endpoint.closeAll(),
    sessionCount: () => endpoint.sessionCount,
    hasSession: (id) => endpoint.hasSession(id),
    stages: mcpStages.stages,
    // The handler catches what it can; anything past that is answered as express's error handler would: a 500,
    // or a cut connection once the answer started (a truncated body must not look complete). Never unhandled.
    serveMcp: (req, res) => {
      serveMcp(req, res).catch((err: unknown) => {
        try {
          opts.logger.error('unexpected error on /mcp', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
          if (!res.headersSent) writeHttpError(res, new HatagoError('ERR_INTERNAL'));
          else res.destroy();
        } catch {
          res.destroy();
        }
      });
    },
  };
}
