// The Python MCP SDK (PyPI `mcp`) as a real process: the client script
// test/fixtures/python/client.py driven by a plan, and the server
// test/fixtures/python/server.py as an upstream. Both run on the venv that
// scripts/install-python-mcp.sh makes (`npm test`'s pretest runs it).
import { existsSync } from 'node:fs';
import { packagePath } from '../../src/util/package-root.js';
import { spawnProcess, type TestProcess } from './processes.js';

export const PYTHON = packagePath('.tools', 'py-venv', 'bin', 'python');
export const PY_CLIENT = packagePath('test', 'fixtures', 'python', 'client.py');
export const PY_SERVER = packagePath('test', 'fixtures', 'python', 'server.py');

/** Python never writes __pycache__ next to the fixtures. */
const PY_ENV = { PYTHONDONTWRITEBYTECODE: '1' };

function requireVenv(): void {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run python:install\` (npm test's pretest does)`);
}

export type PlanStep =
  | { list_tools: true }
  | { call: string; arguments?: Record<string, unknown>; progress?: boolean }
  | { read: string }
  | { prompt: string; arguments?: Record<string, string> };

export interface PythonPlan {
  transport: 'http' | 'stdio';
  mode: 'auto' | 'legacy';
  url?: string;
  headers?: Record<string, string>;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  steps: PlanStep[];
}

export interface StepSeen {
  step: PlanStep;
  tools?: string[];
  result?: Record<string, unknown> & { content?: { type: string; text?: string }[]; isError?: boolean };
  progress?: { progress: number; total: number | null; message: string | null }[];
  error?: { code?: number; message: string; data?: unknown; exception?: string };
}

export interface PythonSeen {
  protocolVersion?: string;
  serverName?: string | null;
  steps?: StepSeen[];
  /** Set when the connection itself failed (no steps ran). */
  connectError?: StepSeen['error'];
  asked: Record<string, unknown>[];
}

export interface PythonRun {
  seen: PythonSeen;
  /** stdout and stderr of the client (and, over stdio, of the hub it spawned). */
  output: string;
}

/** Runs the Python client to completion and returns what it printed on stdout. */
export async function runPythonClient(plan: PythonPlan, timeoutMs = 90_000): Promise<PythonRun> {
  requireVenv();
  const proc = spawnProcess(PYTHON, [PY_CLIENT, JSON.stringify(plan)], { env: PY_ENV });
  let stdout = '';
  proc.child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  try {
    const code = await proc.waitForExit(timeoutMs);
    if (code !== 0) throw new Error(`python client exited ${code}; output:\n${proc.output().slice(-4000)}`);
    return { seen: JSON.parse(stdout) as PythonSeen, output: proc.output() };
  } finally {
    await proc.kill();
  }
}

/** The first text block of a result the Python client saw. */
export function textOf(step: StepSeen | undefined): string | undefined {
  return step?.result?.content?.[0]?.text;
}

/** A Python server over stdio, as an upstream config entry. */
export function pythonStdioUpstream(name: string): Record<string, unknown> {
  requireVenv();
  return { command: PYTHON, args: [PY_SERVER, 'stdio'], env: { ...PY_ENV, PY_FIXTURE_NAME: name } };
}

/** Starts the Python server over Streamable HTTP on a free port. */
export async function startPythonHttpServer(name: string): Promise<{ proc: TestProcess; url: string }> {
  requireVenv();
  const proc = spawnProcess(PYTHON, [PY_SERVER, 'http'], { env: { ...PY_ENV, PY_FIXTURE_NAME: name } });
  const m = await proc.waitForLine(/PY_SERVER_LISTENING port=(\d+)/, 30_000);
  return { proc, url: `http://127.0.0.1:${m[1]}/mcp` };
}
