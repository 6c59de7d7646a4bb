// The hub binds its port and answers /health while an upstream is still in its first connection attempt
// (docs/health.md): start-up does not wait for a slow upstream. /health/ready counts the ones still starting,
// naming none. The "hatago listening" line (what scripts wait for) still comes after the first attempts.
import { rmSync } from 'node:fs';
import { HATAGO_BIN, writeConfig } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { freePort, spawnProcess, useProcessCleanup, waitForPort } from '../helpers/processes.js';

useProcessCleanup();

it('answers /health 200 and /health/ready 503 {"status":"not_ready","starting":1} before a silent upstream has answered', async () => {
  const port = await freePort();
  // Never speaks MCP: its first attempt lasts the 30 s connect timeout.
  const silent = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
  const { dir, file } = writeConfig({ mcpServers: { 'slow-secret-upstream': silent }, http: { host: '127.0.0.1', port } });
  const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--http', '--config', file], { cwd: dir, env: {} });
  try {
    await waitForPort(port, 15000);
    const health = await rawRequest(`http://127.0.0.1:${port}/health`, { method: 'GET' });
    expect({ status: health.status, body: health.json }).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await rawRequest(`http://127.0.0.1:${port}/health/ready`, { method: 'GET' });
    expect({ status: ready.status, body: ready.json, cache: ready.headers['cache-control'] }).toEqual({ status: 503, body: { status: 'not_ready', starting: 1 }, cache: 'no-store' });
    expect(ready.text).not.toContain('slow-secret-upstream');
    expect(proc.output()).not.toContain('hatago listening');
  } finally {
    await proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
