// Real parts only: a redis-server started on a free port, and the Rego
// package hatago.ratelimit built to wasm by the project's build script.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnProcess, type TestProcess } from '../helpers/processes.js';
import { LIMITS_ENTRYPOINT, WasmLimitsPolicy } from '../../src/ratelimit/index.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RedisServer {
  port: number;
  url: string;
  proc: TestProcess;
  /** SIGKILL (no goodbye to clients). */
  kill(): Promise<void>;
}

/** Starts redis-server on `port` (a free one by default), no persistence. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const proc = spawnProcess('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await proc.waitForLine(/Ready to accept connections/);
  return { port: p, url: `redis://127.0.0.1:${p}`, proc, kill: () => proc.kill('SIGKILL') };
}

/**
 * Builds hatago.ratelimit with what it imports (hatago.rbac for the method
 * map and permission grammar, hatago.lib) and nothing else, with
 * scripts/build-policy.mjs and the entrypoint hatago/ratelimit/limits, and
 * loads it.
 */
export async function loadRatelimitPolicy(): Promise<WasmLimitsPolicy> {
  const dir = mkdtempSync(join(tmpdir(), 'hatago-rl-policy-'));
  try {
    const src = join(dir, 'src');
    mkdirSync(src);
    for (const pkg of ['ratelimit', 'rbac', 'lib']) cpSync(join(repoRoot, 'policies', 'rego', 'hatago', pkg, `${pkg}.rego`), join(src, `${pkg}.rego`));
    const out = join(dir, 'ratelimit.tar.gz');
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-policy.mjs'), '--src', src, '--out', out, '--entrypoint', LIMITS_ENTRYPOINT], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`policy build failed:\n${r.stderr}${r.stdout}`);
    return await WasmLimitsPolicy.fromBundle(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The exactness property checked from the outside: for every admit at t,
 * the admits in (t - windowMs, t] are at most max. Returns the violations.
 */
export function exactnessViolations(admits: number[], windowMs: number, max: number): number[] {
  const sorted = [...admits].sort((a, b) => a - b);
  const bad: number[] = [];
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[lo]! <= sorted[hi]! - windowMs) lo++;
    if (hi - lo + 1 > max) bad.push(sorted[hi]!);
  }
  return bad;
}

/** Polls `cond` every 20 ms until true (a wait, not a timed assertion). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
