#!/usr/bin/env node
// The floor for "a proxy in front of the upstream": a bare Node HTTP proxy
// with a keep-alive agent, forwarding every request to one upstream URL as
// is (no parsing, no checks). bench/hub.mjs runs it beside the hub.
//
//   node bench/bare-proxy.mjs <upstream-url>   prints "PROXY_LISTENING port=<n>"
import { Agent, createServer, request } from 'node:http';

const target = new URL(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const server = createServer((req, res) => {
  const up = request({ host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: { ...req.headers, host: target.host }, agent }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => process.stderr.write(`PROXY_LISTENING port=${server.address().port}\n`));
