// Shared wiring for hub and HTTP tests: real upstream processes, the real
// UpstreamManager, the Hub, the express app on an ephemeral port.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import type { ServerConfig } from '../../src/config/types.js';
import { Hub, type HubOptions } from '../../src/hub/hub.js';
import type { CallerContext, GuardRequest, GuardResult, HubLogger, RequestGuard } from '../../src/hub/types.js';
import { createHttpApp, type HttpApp, type HttpAppOptions } from '../../src/http/app.js';
import { UpstreamManager } from '../../src/upstreams/index.js';
import { spawnProcess, type TestProcess } from '../helpers/processes.js';

export const FIXTURE = path.resolve('test/fixtures/servers/fixture.mjs');
export const EVERYTHING = path.resolve('node_modules/@modelcontextprotocol/server-everything/dist/index.js');

export const quietLogger: HubLogger & { lines: string[] } = {
  lines: [],
  debug() {},
  info() {},
  warn(m, meta) {
    quietLogger.lines.push(`warn ${m} ${JSON.stringify(meta ?? {})}`);
  },
  error(m, meta) {
    quietLogger.lines.push(`error ${m} ${JSON.stringify(meta ?? {})}`);
  },
};

/** Allows everything and shows every candidate; records what it was asked. */
export class PermissiveGuard implements RequestGuard {
  readonly seen: GuardRequest[] = [];
  async check(_ctx: CallerContext, req: GuardRequest): Promise<GuardResult> {
    this.seen.push(req);
    return req.candidates ? { decisionId: 'test', visible: new Set(req.candidates.map((c) => c.exposed)) } : { decisionId: 'test' };
  }
}

export async function startHttpFixture(env: Record<string, string> = {}): Promise<{ proc: TestProcess; url: string }> {
  const proc = spawnProcess(process.execPath, [FIXTURE, 'http'], { env: { FIXTURE_PORT: '0', ...env } });
  const m = await proc.waitForLine(/FIXTURE_LISTENING port=(\d+)/);
  return { proc, url: `http://127.0.0.1:${m[1]}/mcp` };
}

export const stdioFixture = (extra: Partial<ServerConfig> = {}, env: Record<string, string> = {}): ServerConfig => ({
  command: process.execPath,
  args: [FIXTURE, 'stdio'],
  env,
  ...extra,
});

export interface Running {
  manager: UpstreamManager;
  hub: Hub;
  http: HttpApp;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** Starts the upstreams, the hub and the HTTP app on 127.0.0.1:0. */
export async function startHub(servers: Record<string, ServerConfig>, opts: { guard?: RequestGuard; app?: Partial<HttpAppOptions>; backoffMs?: number; hub?: Partial<HubOptions> } = {}): Promise<Running> {
  const manager = new UpstreamManager(servers, { logger: quietLogger, backoff: { initialMs: opts.backoffMs ?? 60_000, maxMs: 60_000 } });
  await manager.start();
  let hub: Hub;
  try {
    hub = new Hub({ upstreams: manager, guard: opts.guard ?? new PermissiveGuard(), logger: quietLogger, ...opts.hub });
  } catch (err) {
    await manager.stop();
    throw err;
  }
  // /health/details asks the hub's own stages (permissive unless a test passes a guard).
  const http = createHttpApp({ hub, logger: quietLogger, ...opts.app });
  const server = await new Promise<Server>((resolve) => {
    const s = http.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    manager,
    hub,
    http,
    server,
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      http.close();
      hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await manager.stop();
    },
  };
}
