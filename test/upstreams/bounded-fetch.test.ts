// The SDK transports read upstream answers through bounded-fetch: catalog
// listings and 2026-07-28 calls are bounded by maxResponseBytes as the bytes
// arrive, like the fast path. An oversized listing fails the connection
// attempt (retried with backoff), never the hub's memory; an oversized
// 2026-07-28 answer fails only its call, with response_too_large.
import http from 'node:http';
import { afterAll, describe, expect, test } from '@jest/globals';
import { packagePath } from '../../src/util/package-root.js';
import { createUpstream } from '../../src/upstreams/index.js';
import type { Upstream } from '../../src/upstreams/types.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { remoteConfig, startRemoteFixture, textOf } from './support.js';

useProcessCleanup();

const MiB = 1024 * 1024;
const toStop: Upstream[] = [];
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(toStop.map((u) => u.stop()));
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
});

describe('bounded SDK transports', () => {
  test('a tools/list answer past maxResponseBytes fails the start, with the reason, and nothing of it is kept', async () => {
    const proc = spawnProcess(process.execPath, [packagePath('test', 'fixtures', 'servers', 'hostile-http.mjs')], { env: { HOSTILE_LIST_PAD_MB: '40' } });
    const port = (await proc.waitForLine(/HOSTILE_LISTENING port=(\d+)/))[1];
    const u = createUpstream('padded', { type: 'http', url: `http://127.0.0.1:${port}/mcp`, maxResponseBytes: MiB }, { defaultTimeoutMs: 10_000 });
    toStop.push(u);
    await u.start();
    expect(u.status()).toMatchObject({ state: 'failed', counts: { tools: 0 } });
    expect(u.status().lastError).toMatch(/too large/);
  });

  test('a 2026-07-28 answer past maxResponseBytes fails only that call, with response_too_large', async () => {
    const { port } = await startRemoteFixture('modern');
    // A proxy that pads every tools/call answer of `echo` by 2 MiB.
    const proxy = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const sent = Buffer.concat(parts);
        const padded = sent.includes('"echo"');
        const up = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
          const body: Buffer[] = [];
          ur.on('data', (c: Buffer) => body.push(c));
          ur.on('end', () => {
            let text = Buffer.concat(body).toString('utf8');
            if (padded) text = text.replace('"content":[', `"pad":"${'x'.repeat(2 * MiB)}","content":[`);
            const headers = { ...ur.headers };
            delete headers['content-length'];
            res.writeHead(ur.statusCode ?? 502, headers).end(text);
          });
        });
        up.end(sent);
      });
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const u = createUpstream('modern-padded', remoteConfig('modern', (proxy.address() as { port: number }).port, { maxResponseBytes: MiB }), { defaultTimeoutMs: 10_000 });
    toStop.push(u);
    await u.start();
    expect(u.status()).toMatchObject({ state: 'ready', protocolVersion: '2026-07-28' });
    await expect(u.request('tools/call', { name: 'echo', arguments: { text: 'big' } })).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_ERROR',
      data: { server: 'modern-padded', reason: 'response_too_large', maxResponseBytes: MiB },
    });
    expect(textOf(await u.request('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }))).toBe('3');
  });
});
