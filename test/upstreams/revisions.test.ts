import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnProcess, freePort, useProcessCleanup } from '../helpers/processes.js';
import { createUpstream } from '../../src/upstreams/index.js';
import type { Upstream } from '../../src/upstreams/types.js';
import { EVERYTHING, remoteConfig, startRemoteFixture, textOf } from './support.js';

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
