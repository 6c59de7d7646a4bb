// The HTTP port bound before the hub is built (and before most of its modules are loaded): GET /health and
// /health/ready answer at once, after the network stage as on the full app, and every other request waits for
// the app, which takes over once the hub is built. Plain node:http, so express is not on the way to the first 200.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { HatagoConfig } from '../config/types.js';
import { readiness } from '../http/readiness.js';
import { writeHttpError, writeJson } from '../http/respond.js';
import type { Logger } from '../log/logger.js';
import type { HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import type { UpstreamStatus } from '../upstreams/types.js';
import { listen } from './listen.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

export interface EarlyListener {
  server: Server;
  url: string;
  /** Hands every later request (and those waiting) to the full app. */
  serve(app: RequestListener): void;
  close(): Promise<void>;
}

/** Until the upstream manager exists, every enabled upstream is still in its first attempt. */
export function startingUpstreams(config: Pick<HatagoConfig, 'mcpServers'>): Pick<UpstreamStatus, 'state'>[] {
  return Object.values(config.mcpServers).filter((s) => !s.disabled).map(() => ({ state: 'starting' as const }));
}

/** The probe a request asks for, matched as the full app's router does (any case, a trailing slash, a query). */
function probeOf(req: IncomingMessage): '/health' | '/health/ready' | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const path = (req.url ?? '').split('?')[0]!.toLowerCase().replace(/\/$/, '');
  return path === '/health' || path === '/health/ready' ? path : undefined;
}

type Probe = (req: IncomingMessage, res: ServerResponse) => void;

/** `answer` once the network stage let the request through (the policy's open endpoints); its refusal answered as on /mcp. */
function gated(network: Stage<HttpExchange>, answer: (res: ServerResponse) => void, observe: StageObserver<unknown>): Probe {
  const stages = new StageRunner<HttpExchange>([network]);
  stages.observe(observe);
  return (req, res) => {
    stages.run({ req, res }).then(() => answer(res), (err: unknown) => writeHttpError(res, err));
  };
}

export async function listenEarly(
  config: HatagoConfig,
  logger: Logger,
  upstreams: () => readonly Pick<UpstreamStatus, 'state'>[],
  network: Stage<HttpExchange>,
  observe: StageObserver<unknown>,
): Promise<EarlyListener> {
  let serveApp!: (app: RequestListener) => void;
  const full = new Promise<RequestListener>((resolve) => (serveApp = resolve));
  let current: RequestListener | undefined;
  const probes: Record<'/health' | '/health/ready', Probe> = {
    '/health': gated(network, (res) => writeJson(res, 200, { status: 'ok' }, NO_STORE), observe),
    '/health/ready': gated(network, (res) => {
      const { status, body } = readiness(upstreams());
      writeJson(res, status, body, NO_STORE);
    }, observe),
  };
  const early: RequestListener = (req, res) => {
    const probe = probeOf(req);
    if (probe) return probes[probe](req, res);
    void full.then((app) => app(req, res));
  };
  const { server, url } = await listen(config.http, (req, res) => (current ?? early)(req, res), logger);
  return {
    server,
    url,
    serve: (app) => {
      current = app;
      serveApp(app);
    },
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
