// Shared bits of the upstream tests: fixture launchers and event waits.
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { spawnProcess, type TestProcess } from '../helpers/processes.js';
import type { ServerConfig } from '../../src/config/types.js';
import type { Upstream, UpstreamLogger, UpstreamState } from '../../src/upstreams/types.js';

export const FIXTURE = path.resolve('test/fixtures/servers/fixture.mjs');
export const MODERN_FIXTURE = path.resolve('test/fixtures/servers/modern.mjs');
export const EVERYTHING = path.resolve('node_modules/@modelcontextprotocol/server-everything/dist/index.js');

export function stdioFixture(env: Record<string, string> = {}): ServerConfig {
  return { command: process.execPath, args: [FIXTURE, 'stdio'], env };
}

/** Starts a fixture over http/sse (or the modern one) and returns its process and port. */
export async function startRemoteFixture(
  kind: 'http' | 'sse' | 'modern',
  env: Record<string, string> = {},
): Promise<{ proc: TestProcess; port: number }> {
  const args = kind === 'modern' ? [MODERN_FIXTURE] : [FIXTURE, kind];
  const proc = spawnProcess(process.execPath, args, { env });
  const m = await proc.waitForLine(/FIXTURE_LISTENING port=(\d+)/);
  return { proc, port: Number(m[1]) };
}

export function remoteConfig(kind: 'http' | 'sse' | 'modern', port: number, extra: Partial<ServerConfig> = {}): ServerConfig {
  return kind === 'sse'
    ? { type: 'sse', url: `http://127.0.0.1:${port}/sse`, ...extra }
    : { type: 'http', url: `http://127.0.0.1:${port}/mcp`, ...extra };
}

/** Records every log line, to assert what was (not) logged. */
export function recordingLogger(): UpstreamLogger & { lines: { level: string; msg: string; meta?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; meta?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, meta?: Record<string, unknown>) => {
    lines.push({ level, msg, ...(meta ? { meta } : {}) });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Resolves once `upstream` is in `state` (now or later). The jest timeout is the only limit. */
export function waitForState(upstream: Upstream, state: UpstreamState): Promise<void> {
  if (upstream.status().state === state) return Promise.resolve();
  return waitForEvent(upstream, 'state', (s: { state: UpstreamState }) => s.state === state).then(() => undefined);
}

export function waitForEvent<T extends unknown[]>(emitter: EventEmitter, event: string, pred: (...args: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const on = (...args: unknown[]) => {
      if (pred(...(args as T))) {
        emitter.off(event, on);
        resolve(args as T);
      }
    };
    emitter.on(event, on);
  });
}

export function textOf(result: Record<string, unknown>): string {
  const content = result.content as { type: string; text?: string }[] | undefined;
  return content?.[0]?.text ?? '';
}

/** Resolves when the recording logger has a line matching `pred`. */
export function waitForLog(
  log: ReturnType<typeof recordingLogger>,
  pred: (l: { level: string; msg: string; meta?: Record<string, unknown> }) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (log.lines.some(pred)) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}

export const stderrHas = (text: string) => (l: { msg: string; meta?: Record<string, unknown> }) =>
  l.msg === 'Upstream stderr' && String(l.meta?.line ?? '').includes(text);
