// Child process of bench/hub.mjs: the hub (from ../dist) in front of one
// upstream URL, with an allow-all guard. Prints "HUB_LISTENING port=<n>".
// With BENCH_TRACES_URL: traces on, exported to that OTLP/HTTP URL, wired as
// start-hub wires them (request spans, stage spans from the runners).
import { UpstreamManager } from '../dist/upstreams/index.js';
import { Hub } from '../dist/hub/hub.js';
import { createHttpApp } from '../dist/http/app.js';
import { Tracing } from '../dist/telemetry/tracing.js';

const upstreamUrl = process.argv[2];
const quiet = { debug() {}, info() {}, warn() {}, error: (m, meta) => process.stderr.write(`${m} ${JSON.stringify(meta ?? {})}\n`) };
const allowAll = {
  async check(_ctx, req) {
    return req.candidates ? { decisionId: 'bench', visible: new Set(req.candidates.map((c) => c.exposed)) } : { decisionId: 'bench' };
  },
};
const manager = new UpstreamManager({ up: { url: upstreamUrl } }, { logger: quiet });
await manager.start();
const tracesUrl = process.env.BENCH_TRACES_URL;
const tracing = tracesUrl ? new Tracing({ traces: { enabled: true, endpoint: tracesUrl } }, process.env, quiet) : undefined;
const hub = new Hub({ upstreams: manager, guard: allowAll, logger: quiet, ...(tracing && { trace: (x) => tracing.mcp(x) }) });
if (tracing) {
  hub.runner.onStart(tracing.stageStarted);
  hub.runner.observe(tracing.stageEnded);
}
const { app } = createHttpApp({ hub, logger: quiet, ...(tracing && { tracing }) });
process.on('SIGINT', () => process.exit(0));
const server = app.listen(0, '127.0.0.1', () => process.stderr.write(`HUB_LISTENING port=${server.address().port}\n`));
