#!/usr/bin/env node
// tools/call throughput through nginx in front of 1, 2 and 3 hub replicas
// (cluster.enabled, one redis-server, one stdio fixture upstream each), with
// N concurrent 2026-07-28 clients, then with N 2025-11-25 session clients
// (nginx round robin: every request of a session may land on another
// replica, which serves it from the Redis session index), in one run; prints
// calls/s and the ratio to one replica. On the 2-core development machine the replicas, nginx,
// Redis and the clients share two cores: the figure shows the cost of the
// extra hop and of shared state, not the scaling a machine per replica gives.
// Needs `npx tsc -p tsconfig.json`, redis-server and nginx (Debian packages).
//
//   node bench/replicas.mjs [--clients N] [--seconds S]
import { spawn } from 'node:child_process';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { arg, root } from './lib.mjs';

const CLIENTS = arg('clients', 8);
const SECONDS = arg('seconds', 5);
const work = mkdtempSync(path.join(tmpdir(), 'hatago-bench-replicas-'));
const children = [];

const freePort = () => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

function cleanup() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(work, { recursive: true, force: true });
}
// Interrupted (Ctrl-C, a timeout): nothing is left running or on disk.
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => {
  cleanup();
  process.exit(130);
});

/** Starts a process in its own group; rejects if `re` is not seen within 60 s. */
function start(cmd, args, re, opts = {}) {
  const child = spawn(cmd, args, { cwd: opts.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...opts.env } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd}: no ${re} within 60 s: ${out.slice(-2000)}`)), 60000);
    const seen = (b) => {
      out += b;
      if (re.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`)));
  });
}

async function startReplica(id, redisUrl) {
  const dir = path.join(work, id);
  mkdirSync(dir);
  const port = await freePort();
  writeFileSync(path.join(dir, 'hatago.config.json'), JSON.stringify({
    mcpServers: { fx: { command: process.execPath, args: [path.join(root, 'test/fixtures/servers/fixture.mjs'), 'stdio'] } },
    http: { host: '127.0.0.1', port },
    cluster: { enabled: true, redis: redisUrl, replicaId: id },
    logging: { file: false },
    security: { authorization: { enabled: true, defaultRole: 'admin' }, network: { trustedProxies: ['127.0.0.1/32'] } },
  }));
  await start(process.execPath, [path.join(root, 'dist/bin/hatago.js'), 'serve', '--config', 'hatago.config.json'], /hatago listening/, { cwd: dir });
  return `127.0.0.1:${port}`;
}

async function startNginx(name, upstreams) {
  const dir = path.join(work, name);
  mkdirSync(dir);
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, t));
  const port = await freePort();
  let site = readFileSync(path.join(root, 'deploy/nginx/hatago.conf'), 'utf8');
  site = site.replace(/# BEGIN replicas[\s\S]*# END replicas/, upstreams.map((u) => `server ${u};`).join('\n    '))
    .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
  writeFileSync(path.join(dir, 'nginx.conf'), `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/client_body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n${site}\n}\n`);
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  let cmd = '/usr/sbin/nginx';
  if (process.getuid() === 0) {
    // Unprivileged, as in the tests: nobody owns the folder and may traverse to it.
    for (const d of [dir, ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => path.join(dir, t))]) chownSync(d, 65534, 65534);
    for (let d = path.dirname(dir); d !== path.dirname(d) && d.startsWith(tmpdir()); d = path.dirname(d)) chmodSync(d, statSync(d).mode | 0o001);
    args.unshift('--reuid=65534', '--regid=65534', '--clear-groups', '--', cmd);
    cmd = 'setpriv';
  }
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  children.push(child);
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return `http://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not start');
}

/** `sessions`: 2025-11-25 clients (the 1.x SDK, one session each); else stateless 2026-07-28 clients. */
async function measure(url, sessions = false) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    if (sessions) {
      const c = new LegacyClient({ name: 'bench', version: '1' });
      await c.connect(new LegacyTransport(new URL(`${url}/mcp`)));
      return c;
    }
    const c = new Client({ name: 'bench', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    return c;
  }));
  let calls = 0;
  let failed = 0;
  const run = async (ms, count) => {
    const end = Date.now() + ms;
    await Promise.all(clients.map(async (c) => {
      while (Date.now() < end) {
        try {
          const r = await c.callTool({ name: 'fx_echo', arguments: { text: 'x' } });
          if (r.isError) throw new Error('tool error');
          if (count) calls++;
        } catch {
          if (count) failed++;
        }
      }
    }));
  };
  await run(1000, false); // warm-up
  const t0 = Date.now();
  await run(SECONDS * 1000, true);
  const rate = calls / ((Date.now() - t0) / 1000);
  await Promise.all(clients.map((c) => c.close()));
  return { rate, failed };
}

try {
  const redisPort = await freePort();
  await start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const replicas = [await startReplica('hub-a', redisUrl), await startReplica('hub-b', redisUrl), await startReplica('hub-c', redisUrl)];
  const results = [];
  const sessionResults = [];
  const urls = [];
  for (const n of [1, 2, 3]) {
    urls.push(await startNginx(`nginx-${n}`, replicas.slice(0, n)));
    results.push({ n, ...(await measure(urls[n - 1])) });
  }
  for (const n of [1, 3]) sessionResults.push({ n, ...(await measure(urls[n - 1], true)) });
  const failed = [...results, ...sessionResults].reduce((f, r) => f + r.failed, 0);
  if (failed > 0) {
    console.error(`${failed} calls failed: no figure printed`);
    process.exitCode = 1;
  } else {
    console.log(`replicas behind nginx, ${CLIENTS} clients, ${SECONDS} s each, tools/call echo, cluster.enabled with one Redis`);
    for (const r of results) console.log(`2026-07-28 (stateless), ${r.n} replica(s): ${Math.round(r.rate)} calls/s (x${(r.rate / results[0].rate).toFixed(2)} of 1 replica)`);
    for (const r of sessionResults) console.log(`2025-11-25 sessions (round robin, Redis session index), ${r.n} replica(s): ${Math.round(r.rate)} calls/s (x${(r.rate / sessionResults[0].rate).toFixed(2)} of 1 replica, x${(r.rate / results[r.n - 1].rate).toFixed(2)} of stateless)`);
  }
  console.log('one machine: replicas, nginx, Redis and the clients share its cores, so this shows the overhead of the hop and the shared state, not scaling');
} finally {
  cleanup();
}
