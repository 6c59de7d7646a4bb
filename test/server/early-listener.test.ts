// The listener startHub binds before the hub is built (src/server/early-listener.ts): the probes answer through
// the real network stage and the shipped policy, matched as the full app's router matches them; every other
// request waits for the app and is served by it once it is handed over.
import type { RequestListener } from 'node:http';
import { DEFAULT_BUNDLE_PATH, embeddedDefaultConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { networkStage } from '../../src/pipeline/network/stage.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { listenEarly, startingUpstreams, type EarlyListener } from '../../src/server/early-listener.js';
import { policyData } from '../../src/server/policy-data.js';
import { rawRequest } from '../helpers/http-client.js';

const config = embeddedDefaultConfig();
config.http.port = 0;
config.security.network = { blockedIPs: ['127.0.0.3'] };
let early: EarlyListener;
let base: string;

beforeAll(async () => {
  const engine = await PolicyEngine.load(DEFAULT_BUNDLE_PATH, { runtimeData: policyData(config, {}) });
  early = await listenEarly(config, silentLogger, () => startingUpstreams(config), networkStage({ current: () => engine }, silentLogger), () => undefined);
  base = early.url;
});
afterAll(async () => {
  await early.close();
});

describe('the early listener', () => {
  it('answers GET and HEAD /health, any case, with a trailing slash or a query, no-store', async () => {
    for (const [method, path] of [['GET', '/health'], ['GET', '/health/'], ['GET', '/HEALTH?probe=1'], ['HEAD', '/health']] as const) {
      const res = await rawRequest(`${base}${path}`, { method });
      expect({ method, path, status: res.status, text: res.text, cache: res.headers['cache-control'] }).toEqual({
        method, path, status: 200, text: method === 'HEAD' ? '' : '{"status":"ok"}', cache: 'no-store',
      });
    }
  });

  it('through the network stage: the policy keeps /health open to a blocked address', async () => {
    const res = await rawRequest(`${base}/health`, { method: 'GET', localAddress: '127.0.0.3' });
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('/health/ready counts every enabled upstream as starting until the upstreams exist', async () => {
    const res = await rawRequest(`${base}/health/ready`, { method: 'GET' });
    expect({ status: res.status, body: res.json, cache: res.headers['cache-control'] }).toEqual({ status: 503, body: { status: 'not_ready', starting: 1 }, cache: 'no-store' });
  });

  it('any other request waits for the app, then the app answers it (and the probes from then on)', async () => {
    const arrived = new Promise<void>((resolve) => early.server.once('request', () => resolve()));
    const waiting = rawRequest(`${base}/mcp`, { body: { jsonrpc: '2.0', id: 1, method: 'ping' } });
    await arrived;
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    const app: RequestListener = (req, res) => void res.writeHead(418, { 'content-type': 'text/plain' }).end(`app ${req.method} ${req.url}`);
    early.serve(app);
    const res = await waiting;
    expect({ status: res.status, text: res.text }).toEqual({ status: 418, text: 'app POST /mcp' });
    const probe = await rawRequest(`${base}/health`, { method: 'GET' });
    expect({ status: probe.status, text: probe.text }).toEqual({ status: 418, text: 'app GET /health' });
  });
});
