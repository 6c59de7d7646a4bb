// An SSE answer that drops before its response is resumed with Last-Event-ID
// (Streamable HTTP, "Resumability and Redelivery": a GET carrying the id of
// the last event received) when the upstream gave its events ids; at most
// MAX_RESUMES times; otherwise the call fails as unavailable, as before.
// Against test/fixtures/servers/hostile-http.mjs (2025-11-25 sessions).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';
import { HatagoError } from '../../src/errors/index.js';
import { createUpstream } from '../../src/upstreams/index.js';
import { MAX_RESUMES } from '../../src/upstreams/keep-alive-http.js';
import type { ProgressUpdate, Upstream } from '../../src/upstreams/types.js';
import { recordingLogger, textOf, waitForEvent } from './support.js';

useProcessCleanup();

const HOSTILE = path.resolve('test/fixtures/servers/hostile-http.mjs');

let proc: TestProcess;
let u: Upstream;

/** The Last-Event-ID headers the upstream has received so far. */
async function resumes(): Promise<string[]> {
  return JSON.parse(textOf(await u.request('tools/call', { name: 'resumes', arguments: {} }))) as string[];
}

beforeAll(async () => {
  proc = spawnProcess(process.execPath, [HOSTILE]);
  const port = Number((await proc.waitForLine(/HOSTILE_LISTENING port=(\d+)/))[1]);
  u = createUpstream('hostile', { type: 'http', url: `http://127.0.0.1:${port}/mcp` }, { defaultTimeoutMs: 10_000, backoff: { initialMs: 50, maxMs: 200 } });
  await u.start();
  expect(u.status()).toMatchObject({ state: 'ready', protocolVersion: '2025-11-25' });
});

afterAll(async () => {
  await u.stop();
});

describe('a dropped SSE answer', () => {
  test('with event ids is resumed from the last one, and the call gets its answer', async () => {
    const updates: ProgressUpdate[] = [];
    const r = await u.request('tools/call', { name: 'drop_resumable', arguments: {} }, { onProgress: (p) => updates.push(p) });
    expect(textOf(r)).toBe('resumed');
    // What came before the drop was delivered once; the resume carried the id of that event.
    expect(updates).toEqual([{ progress: 1, total: 2 }]);
    expect(await resumes()).toEqual([expect.stringMatching(/^s\d+\/1$/)]);
    expect(u.status().state).toBe('ready');
  });

  test('without event ids cannot be resumed: the call fails as unavailable, and no resume is tried', async () => {
    const before = (await resumes()).length;
    const err = await u.request('tools/call', { name: 'drop_no_ids', arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_UPSTREAM_UNAVAILABLE');
    expect((err as HatagoError).message).toBe('Upstream server "hostile" is unavailable');
    expect((err as HatagoError).detail).toContain('upstream SSE stream closed before the response');
    expect((await resumes()).length).toBe(before);
  });

  test('that drops on every resume is resumed MAX_RESUMES times, then fails with the drop', async () => {
    const before = (await resumes()).length;
    const err = await u.request('tools/call', { name: 'drop_always', arguments: {} }).catch((e: unknown) => e);
    expect((err as HatagoError).code).toBe('ERR_UPSTREAM_UNAVAILABLE');
    expect((err as HatagoError).detail).toContain('upstream SSE stream closed before the response');
    const tried = (await resumes()).slice(before);
    expect(tried).toHaveLength(MAX_RESUMES);
    // Each resume starts after the last event the one before it delivered.
    expect(tried.map((id) => id.split('/')[1])).toEqual(['1', '2']);
    expect(textOf(await u.request('tools/call', { name: 'echo', arguments: { text: 'still fine' } }))).toBe('still fine');
  });
});

describe('a malformed listing', () => {
  test('is checked against the hub\'s result schemas: the upstream does not come up, and says why', async () => {
    const bad = spawnProcess(process.execPath, [HOSTILE], { env: { HOSTILE_LIST_NAMELESS: '1' } });
    const port = Number((await bad.waitForLine(/HOSTILE_LISTENING port=(\d+)/))[1]);
    const log = recordingLogger();
    const v = createUpstream('nameless', { type: 'http', url: `http://127.0.0.1:${port}/mcp` }, { logger: log, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    try {
      const failed = waitForEvent(v, 'state', (s: { state: string }) => s.state === 'failed');
      await v.start();
      await failed;
      expect(v.status()).toMatchObject({ state: 'failed', lastError: 'Upstream server "nameless" sent a malformed response' });
      expect(v.catalog().tools).toEqual([]);
      expect(log.lines.some((l) => l.level === 'warn' && l.msg === 'Upstream failed to start')).toBe(true);
    } finally {
      await v.stop();
    }
  });
});
