// The scale-out test topology, on loopback, all real parts: nginx (Debian's
// package, the shipped deploy/nginx/hatago.conf with the replicas filled in,
// run unprivileged with its own prefix, config and error log in a temp
// folder, no daemon) in front of three `hatago serve` replicas with
// cluster.enabled, one redis-server, and one bundle server (a small static
// server speaking the bundle protocol's ETag / If-None-Match / 304).
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { freePort, spawnProcess, type TestProcess } from '../helpers/processes.js';
import { makeTarGz } from '../policy/helpers.js';
import { tarEntries } from '../policy/signatures/helpers.js';
import { startRedis, type RedisServer } from '../ratelimit/helpers.js';

export const NGINX = process.env.HATAGO_NGINX ?? '/usr/sbin/nginx';

/** A bundle server: serves one bundle at a time with its ETag; 304 when the client has it. */
export interface BundleServer {
  url: string;
  /** Requests answered, by status. */
  served: { 200: number; 304: number };
  publish(bundle: Buffer): void;
  close(): Promise<void>;
}

export async function startBundleServer(first: Buffer): Promise<BundleServer> {
  let body = first;
  let etag = '';
  const served = { 200: 0, 304: 0 };
  const publish = (b: Buffer) => {
    body = b;
    etag = `"${createHash('sha256').update(b).digest('hex').slice(0, 32)}"`;
  };
  publish(first);
  const server = http.createServer((req, res) => {
    if (req.headers['if-none-match'] === etag) {
      served[304]++;
      res.writeHead(304, { ETag: etag });
      return res.end();
    }
    served[200]++;
    res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': body.length, ETag: etag });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bundles/hatago.tar.gz`,
    served,
    publish,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The shipped bundle with another manifest revision (a new bundle, same rules). */
export function shippedBundleAs(revision: string, dir: string): Buffer {
  const entries = tarEntries(packagePath('policies', 'bundle', 'hatago.tar.gz')).map((e) => {
    if (e.path !== '/.manifest') return e;
    const m = JSON.parse(e.body.toString('utf8')) as Record<string, unknown>;
    return { ...e, body: Buffer.from(JSON.stringify({ ...m, revision })) };
  });
  const out = path.join(dir, `${revision}.tar.gz`);
  writeFileSync(out, makeTarGz(entries));
  return readFileSync(out);
}

export interface Nginx {
  url: string;
  proc: TestProcess;
  dir: string;
  stop(): Promise<void>;
}

/**
 * nginx with deploy/nginx/hatago.conf (plain round robin, no affinity): the
 * replicas put between its BEGIN/END markers, `listen` on a free loopback port.
 */
export async function startNginx(replicas: string[]): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-nginx-'));
  const port = await freePort();
  let site = readFileSync(packagePath('deploy', 'nginx', 'hatago.conf'), 'utf8');
  site = site.replace(/# BEGIN replicas[\s\S]*# END replicas/, replicas.map((r) => `server ${r} max_fails=0;`).join('\n    '));
  site = site.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, t));
  writeFileSync(path.join(dir, 'nginx.conf'), `
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${site}
}
`);
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  let proc: TestProcess;
  if (process.getuid?.() === 0) {
    // As root (CI): nginx runs as nobody, so it owns its folder and can reach it.
    chownRecursive(dir, 65534, 65534);
    allowTraverse(dir);
    proc = spawnProcess('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', NGINX, ...args]);
  } else {
    proc = spawnProcess(NGINX, args);
  }
  await waitForHttp(`http://127.0.0.1:${port}/health`, proc, dir);
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    dir,
    stop: async () => {
      await proc.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function chownRecursive(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) chownSync(path.join(dir, t), uid, gid);
}

/** nobody must traverse the test run's temp root (0700) to reach its folder: add o+x, nothing else. */
function allowTraverse(dir: string): void {
  const root = process.env.HATAGO_TEST_TMP_ROOT;
  for (let d = path.dirname(dir); root !== undefined && d.startsWith(root); d = path.dirname(d)) {
    chmodSync(d, statSync(d).mode | 0o001);
  }
}

async function waitForHttp(url: string, proc: TestProcess, dir: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`nginx did not answer at ${url}:\n${proc.output()}\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Topology {
  redis: RedisServer;
  bundles: BundleServer;
  replicas: HubProcess[];
  nginx: Nginx;
  stop(): Promise<void>;
}

/** Redis, the bundle server, three replicas (config per replica id), nginx in front. */
export async function startTopology(config: (replicaId: string, redisUrl: string, bundleUrl: string) => Record<string, unknown>, firstBundle: Buffer, env: Record<string, string> = {}): Promise<Topology> {
  const redis = await startRedis();
  const bundles = await startBundleServer(firstBundle);
  const replicas: HubProcess[] = [];
  let nginx: Nginx | undefined;
  const stop = async () => {
    await nginx?.stop();
    for (const r of replicas) {
      await r.proc.kill();
      rmSync(r.dir, { recursive: true, force: true });
    }
    await bundles.close();
    await redis.kill();
  };
  try {
    replicas.push(...(await Promise.all(['hub-a', 'hub-b', 'hub-c'].map((id) => startHubProcess(config(id, redis.url, bundles.url), { env })))));
    nginx = await startNginx(replicas.map((r) => new URL(r.url).host));
    return { redis, bundles, replicas, nginx, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
