import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnProcess, freePort, useProcessCleanup } from '../helpers/processes.js';
import { createUpstream } from '../../src/upstreams/index.js';
import type { Upstream } from '../../src/upstreams/types.js';
import http from 'node:http';
import { EVERYTHING, recordingLogger, remoteConfig, startRemoteFixture, textOf } from './support.js';

useProcessCleanup();
const toStop: Upstream[] = [];
afterAll(async () => {
  await Promise.all(toStop.map((u) => u.stop()));
});
function make(id: string, config: Parameters<typeof createUpstream>[1]): Upstream {
  const u = createUpstream(id, config, { defaultTimeoutMs: 15_000 });
  toStop.push(u);
  return u;
}

describe('a 2026-07-28 (stateless, modern-only) upstream', () => {
  test('is discovered, listed and called without initialize', async () => {
    const { port } = await startRemoteFixture('modern');
    const u = make('modern', remoteConfig('modern', port));
    await u.start();
    expect(u.status().state).toBe('ready');
    expect(u.status().protocolVersion).toBe('2026-07-28');
    expect(u.catalog().tools.map((t) => t.name)).toEqual(['echo', 'add', 'slow']);
    expect(u.catalog().prompts.map((p) => p.name)).toEqual(['greet']);
    expect(textOf(await u.request('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }))).toBe('3');
    const seen: number[] = [];
    await u.request('tools/call', { name: 'slow', arguments: { steps: 3, delayMs: 20 } }, { onProgress: (p) => seen.push(p.progress) });
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('the published server-everything', () => {
  test('over stdio: lists and calls, and its env holds only the safe set plus config.env', async () => {
    process.env.HATAGO_AUTH_SECRET = 'hub-secret-must-not-leak';
    try {
      const u = make('everything', { command: process.execPath, args: [EVERYTHING, 'stdio'], env: { GIVEN: 'yes' } });
      await u.start();
      expect(u.status().state).toBe('ready');
      const names = u.catalog().tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-env']));
      expect(u.catalog().resources.length).toBeGreaterThan(0);
      expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { message: 'yo' } }))).toBe('Echo: yo');
      const env = JSON.parse(textOf(await u.request('tools/call', { name: 'get-env', arguments: {} }))) as Record<string, string>;
      expect(env.GIVEN).toBe('yes');
      expect(env.HATAGO_AUTH_SECRET).toBeUndefined();
    } finally {
      delete process.env.HATAGO_AUTH_SECRET;
    }
  });

  test('over Streamable HTTP', async () => {
    const port = await freePort();
    const proc = spawnProcess(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { PORT: String(port) } });
    await proc.waitForLine(/listening on port/i);
    const u = make('everything-http', { type: 'http', url: `http://127.0.0.1:${port}/mcp` });
    await u.start();
    expect(u.status().state).toBe('ready');
    expect(u.status().protocolVersion).toBe('2025-11-25');
    expect(textOf(await u.request('tools/call', { name: 'get-sum', arguments: { a: 2, b: 40 } }))).toContain('42');
  });
});

describe('mcpServers.<id>.protocolVersion pins the revision', () => {
  test('a modern-only upstream pinned to 2025-11-25 is not spoken to in 2026-07-28 (it fails to start); pinned to 2026-07-28 it is', async () => {
    const { port } = await startRemoteFixture('modern');
    const legacy = make('pinned-legacy', remoteConfig('modern', port, { protocolVersion: '2025-11-25' }));
    await legacy.start();
    expect(legacy.status().state).toBe('failed');
    const modern = make('pinned-modern', remoteConfig('modern', port, { protocolVersion: '2026-07-28' }));
    await modern.start();
    expect(modern.status()).toMatchObject({ state: 'ready', protocolVersion: '2026-07-28' });
  });

  test('a dual-revision upstream pinned to 2025-11-25 speaks 2025-11-25', async () => {
    const { port } = await startRemoteFixture('http');
    const u = make('pinned-http', remoteConfig('http', port, { protocolVersion: '2025-11-25' }));
    await u.start();
    expect(u.status()).toMatchObject({ state: 'ready', protocolVersion: '2025-11-25' });
  });
});

describe('a 2026-07-28 upstream whose results lack resultType', () => {
  test('is taken as complete (the call succeeds), and the deviation is logged once at warn', async () => {
    const { port } = await startRemoteFixture('modern');
    // A proxy that drops resultType from every answer, as some servers do.
    const proxy = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const up = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
          const body: Buffer[] = [];
          ur.on('data', (c: Buffer) => body.push(c));
          ur.on('end', () => {
            const text = Buffer.concat(body).toString('utf8').replace(/,"resultType":"complete"|"resultType":"complete",?/g, '');
            const headers = { ...ur.headers };
            delete headers['content-length'];
            res.writeHead(ur.statusCode ?? 502, headers).end(text);
          });
        });
        up.end(Buffer.concat(parts));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const logger = recordingLogger();
      const u = createUpstream('no-result-type', remoteConfig('modern', (proxy.address() as { port: number }).port), { defaultTimeoutMs: 15_000, logger });
      toStop.push(u);
      await u.start();
      expect(u.status()).toMatchObject({ state: 'ready', protocolVersion: '2026-07-28' });
      expect(textOf(await u.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5');
      expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { text: 'again' } }))).toBe('again');
      const warned = logger.lines.filter((l) => l.level === 'warn' && l.msg === 'Upstream results lack resultType; taken as complete');
      expect(warned).toHaveLength(1);
      expect(warned[0]!.meta).toMatchObject({ server: 'no-result-type', protocolVersion: '2026-07-28' });
    } finally {
      proxy.close();
      proxy.closeAllConnections();
    }
  });
});
