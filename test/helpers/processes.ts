// Shared test helper for real processes. Every process a test starts goes
// through `spawnProcess`, which puts it in its own process group
// (detached: true) so that killing the group also kills anything it
// spawned, and records it in one registry so `killAll()` (wired into
// afterAll by `useProcessCleanup()`) ends everything even when a test fails.
//
// API (keep it small; other suites use it):
//   freePort(): Promise<number>                       a port free right now on 127.0.0.1
//   spawnProcess(cmd, args, opts): TestProcess        start a process in its own group
//   proc.waitForLine(re, timeoutMs?): Promise<RegExpMatchArray>   wait for a stdout/stderr line
//   proc.waitForExit(timeoutMs?): Promise<number|null>            wait for exit, returns code
//   proc.kill(signal?): Promise<void>                 kill the whole group, wait for exit
//   proc.output(): string                             all stdout+stderr seen so far
//   waitForPort(port, timeoutMs?): Promise<void>      until 127.0.0.1:port accepts
//   killAll(): Promise<void>                          kill every registered process
//   useProcessCleanup(): void                         call once per test file: afterAll(killAll)
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { afterAll } from '@jest/globals';

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Pipe stdin (for stdio MCP servers driven by the test itself). Default: ignore. */
  stdin?: boolean;
}

export interface TestProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  waitForExit(timeoutMs?: number): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

const registry = new Set<TestProcess>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function spawnProcess(command: string, args: string[], opts: SpawnOptions = {}): TestProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv,
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  const pid = child.pid;
  let out = '';
  let exited = false;
  let exitCode: number | null = null;
  const lineWaiters = new Set<() => void>();
  const exitWaiters = new Set<() => void>();
  const onData = (buf: Buffer) => {
    out += buf.toString('utf8');
    for (const w of lineWaiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.on('exit', (code) => {
    exited = true;
    exitCode = code;
    registry.delete(proc);
    for (const w of [...lineWaiters, ...exitWaiters]) w();
  });

  const proc: TestProcess = {
    child,
    pid,
    output: () => out,
    waitForLine(re, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) return done(() => resolve(m));
          if (exited) return done(() => reject(new Error(`process ${pid} exited (${exitCode}) before ${re}; output:\n${out.slice(-2000)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timeout waiting for ${re}; output:\n${out.slice(-2000)}`))), timeoutMs);
        const done = (fn: () => void) => {
          clearTimeout(timer);
          lineWaiters.delete(check);
          fn();
        };
        lineWaiters.add(check);
        check();
      });
    },
    waitForExit(timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        if (exited) return resolve(exitCode);
        const timer = setTimeout(() => reject(new Error(`process ${pid} did not exit`)), timeoutMs);
        exitWaiters.add(() => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
    },
    async kill(signal = 'SIGKILL') {
      if (!exited) {
        killGroup(pid, signal);
        await proc.waitForExit(10000).catch(() => undefined);
      }
      // The group may hold grandchildren even after the leader exited.
      killGroup(pid, 'SIGKILL');
    },
  };
  registry.add(proc);
  return proc;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function waitForPort(port: number, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function killAll(): Promise<void> {
  await Promise.all([...registry].map((p) => p.kill()));
}

/** Call once at the top level of a test file. */
export function useProcessCleanup(): void {
  afterAll(killAll);
}
