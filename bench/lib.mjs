// What every benchmark needs: the project root, numeric `--name value` options,
// child processes watched line by line (nothing accumulated), /proc readings,
// free ports, and the HTTP load generator (wrk).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `--name N` from the command line, else `dflt`. */
export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** `--smoke`: tiny iteration counts, for the test that checks each bench starts and prints its header. */
export const SMOKE = process.argv.includes('--smoke');

const children = new Set();
function killAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/**
 * Spawns a child and resolves with its first output line matching `re` (the match). Lines are looked at one by
 * one and dropped, so a chatty child never grows a buffer here; the last few are kept for the error message.
 */
export function startChild(cmd, args, { re, env = {}, cwd = root, timeoutMs = 30000 } = {}) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const tail = [];
  const ready = new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => !done && reject(new Error(`${cmd} ${args.join(' ')}: no line matching ${re} in ${timeoutMs} ms:\n${tail.join('\n')}`)), timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (done) return;
        tail.push(line.slice(0, 500));
        if (tail.length > 20) tail.shift();
        const m = re && line.match(re);
        if (m) {
          done = true;
          clearTimeout(timer);
          resolve(m);
        }
      });
    }
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${tail.join('\n')}`));
    });
  });
  return { child, ready };
}

/** Stops a child started by startChild and waits for it to be gone. */
export function stopChild(child, signal = 'SIGKILL') {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (USER_HZ 100). */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process in MB, from /proc/<pid>/status. */
export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

/**
 * A tools/list decision's input as the hub builds it (src/pipeline/policy-input.ts), for a
 * principal with `roles` over `candidates` (kept by reference: a frozen list stays frozen).
 */
export async function listDecisionInput(roles, candidates) {
  const { requestInput } = await import('../dist/pipeline/policy-input.js');
  const ctx = { transport: 'http', protocolVersion: '2025-11-25', client: { ip: '10.1.2.3', origin: null, userAgent: 'bench/1.0' }, principal: { sub: 'u', roles, claims: {} } };
  return requestInput(ctx, { method: 'tools/list', candidates });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** wrk (Debian's package): installed here when missing, as bench/run.mjs does before any bench. */
export function ensureWrk() {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'wrk']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error('wrk is missing and `apt-get install wrk` failed: install Debian\'s wrk package');
  }
}

/** Thrown when a run had any non-2xx answer, socket error or JSON-RPC error: no figure is printed from it. */
export class BenchRunError extends Error {}

/**
 * One wrk run of bench/wrk/mcp-call.lua against `url`: POSTs of `body` (each with its own JSON-RPC id) with
 * `headers`. Resolves with calls/s and latency; rejects with BenchRunError when any answer was not a 2xx with a
 * JSON-RPC result containing `expect`.
 */
export function wrk(url, { seconds, connections, threads = 1, headers = {}, body, expect }) {
  const env = { ...process.env, BENCH_HEADERS: JSON.stringify(headers), BENCH_BODY: body, BENCH_EXPECT: expect };
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', path.join(root, 'bench', 'wrk', 'mcp-call.lua'), url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out = (out + b).slice(-4000)));
    child.stderr.on('data', (b) => (out = (out + b).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /BENCH_RESULT (.*)/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk exited ${code}:\n${out}`));
      const r = Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
      const bad = r.non2xx + r.rpc_errors + r.socket_errors;
      if (bad > 0) return reject(new BenchRunError(`${url}: ${r.non2xx} non-2xx, ${r.rpc_errors} JSON-RPC errors or wrong answers, ${r.socket_errors} socket errors in ${r.requests} requests (last body: ${r.last_error ?? 'n/a'}); no figure printed`));
      resolve({ calls: r.ok, rps: r.ok / (r.duration_us / 1e6), p50: r.p50_us / 1000, p99: r.p99_us / 1000 });
    });
  });
}
