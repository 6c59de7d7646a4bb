// Child process of bench/hub.mjs: the hub (from ../dist) in front of one
// upstream URL, with an allow-all guard. Prints "HUB_LISTENING port=<n>".
import { UpstreamManager } from '../dist/upstreams/index.js';
import { Hub } from '../dist/hub/hub.js';
import { createHttpApp } from '../dist/http/app.js';

const upstreamUrl = process.argv[2];
const quiet = { debug() {}, info() {}, warn() {}, error: (m, meta) => process.stderr.write(`${m} ${JSON.stringify(meta ?? {})}\n`) };
const allowAll = {
  async check(_ctx, req) {
    return req.candidates ? { decisionId: 'bench', visible: new Set(req.candidates.map((c) => c.exposed)) } : { decisionId: 'bench' };
  },
};
const manager = new UpstreamManager({ up: { url: upstreamUrl } }, { logger: quiet });
await manager.start();
const hub = new Hub({ upstreams: manager, guard: allowAll, logger: quiet });
const { app } = createHttpApp({ hub, logger: quiet });
process.on('SIGINT', () => process.exit(0));
const server = app.listen(0, '127.0.0.1', () => process.stderr.write(`HUB_LISTENING port=${server.address().port}\n`));
