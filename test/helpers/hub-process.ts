// Starts the real hub (`node dist/bin/hatago.js serve`, the bundled command) as a process on a free
// port with a config written to a fresh temp folder (its working folder, so
// logs land there too). `npm test` builds dist/ first.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { freePort, spawnProcess, type TestProcess } from './processes.js';

export const HATAGO_BIN = packagePath('dist', 'bin', 'hatago.js');
export const FIXTURE_SERVER = packagePath('test', 'fixtures', 'servers', 'fixture.mjs');
export const EVERYTHING_SERVER = packagePath('node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

export interface HubProcess {
  proc: TestProcess;
  dir: string;
  url: string;
  mcpUrl: string;
  stop(): Promise<void>;
}

export interface StartHubOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Host to bind; default 127.0.0.1. */
  host?: string;
}

export function writeConfig(config: Record<string, unknown>): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-e2e-'));
  const file = path.join(dir, 'hatago.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { dir, file };
}

/** Runs `hatago <args>` to completion (for start-up failures and one-shot commands). */
export async function runHatago(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<{ code: number | null; output: string }> {
  // Without a cwd, a folder of its own (removed after): runs never share a logs/ or an audit trail.
  const own = opts.cwd === undefined ? mkdtempSync(path.join(tmpdir(), 'hatago-run-')) : undefined;
  try {
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, ...args], { cwd: opts.cwd ?? own, env: opts.env ?? {} });
    const code = await proc.waitForExit(30000);
    return { code, output: proc.output() };
  } finally {
    if (own) rmSync(own, { recursive: true, force: true });
  }
}

export async function startHubProcess(config: Record<string, unknown>, opts: StartHubOptions = {}): Promise<HubProcess> {
  const host = opts.host ?? '127.0.0.1';
  const given = config.http as { port?: number } | undefined;
  // A free port can be taken by another process before the hub binds it (a busy
  // machine runs many tests at once): then the hub is started again on another.
  for (let attempt = 1; ; attempt++) {
    const port = given?.port ?? (await freePort());
    const { dir, file } = writeConfig({ ...config, http: { host, port, ...(config.http as object | undefined) } });
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--config', file, ...(opts.args ?? [])], { cwd: dir, env: opts.env ?? {} });
    try {
      const m = await proc.waitForLine(/hatago listening on (https?:\/\/[^\s"]+)\/mcp/, 30000);
      const url = m[1]!;
      return { proc, dir, url, mcpUrl: `${url}/mcp`, stop: () => proc.kill('SIGTERM') };
    } catch (err) {
      const raced = given?.port === undefined && attempt < 5 && /ERR_PORT_IN_USE/.test(proc.output());
      await proc.kill();
      rmSync(dir, { recursive: true, force: true });
      if (!raced) throw err;
    }
  }
}

/** A fixture upstream over stdio, as a config entry. */
export function fixtureStdio(env: Record<string, string> = {}): Record<string, unknown> {
  return { command: process.execPath, args: [FIXTURE_SERVER, 'stdio'], env };
}
