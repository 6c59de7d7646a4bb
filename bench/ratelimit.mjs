#!/usr/bin/env node
// Checks per second and bytes per active key for the rate-limit stores, with
// 100,000 active keys, in memory and in a redis-server this script starts on
// a free port (and stops). Each check is what the rate-limit stage awaits
// (`await store.hitAll(...)`), and the Redis store is built as the hub builds
// it (src/server/start-hub.ts: the URL only, default clock and timeouts).
// Needs `npx tsc -p tsconfig.json`.
//
//   node bench/ratelimit.mjs [--keys 100000] [--checks 300000] [--concurrency 64] [--no-redis]
import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { MemoryStore, RedisStore } from '../dist/ratelimit/index.js';
import { freePort } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    checks: { type: 'string', default: '300000' },
    concurrency: { type: 'string', default: '64' },
    'no-redis': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
  },
});
if (opts.smoke) Object.assign(opts, { keys: '2000', checks: '5000' });
const KEYS = Number(opts.keys);
const CHECKS = Number(opts.checks);
const CONC = Number(opts.concurrency);
const WINDOW = 60_000;
const MAX = 100;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const key = (i) => `per-user:user:user-${i}`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const T0 = Date.now();

// --- memory -----------------------------------------------------------------

async function benchMemory() {
  const store = new MemoryStore({ sweepIntervalMs: Number.MAX_SAFE_INTEGER });
  const before = heap();
  for (let i = 0; i < KEYS; i++) store.hitAllSync([{ name: 'u', key: key(i), windowMs: WINDOW, max: MAX }], T0);
  const after = heap();
  const perKey = (after - before) / KEYS;

  // One limit per check, keys spread over the active set, clock advancing.
  let t = T0;
  let start = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) {
    await store.hitAll([{ name: 'u', key: key((i * 7919) % KEYS), windowMs: WINDOW, max: MAX }], (t += 0.1) | 0);
  }
  const one = CHECKS / (Number(process.hrtime.bigint() - start) / 1e9);

  // Three limits per check (global ip, per-user, tool-calls), as the guide's config gives.
  start = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) {
    const u = (i * 7919) % KEYS;
    await store.hitAll(
      [
        { name: 'global', key: `global:ip:10.0.${u & 255}.${(u >> 8) & 255}`, windowMs: WINDOW, max: 1000 },
        { name: 'per-user', key: key(u), windowMs: WINDOW, max: MAX },
        { name: 'tool-calls', key: `tool-calls:user:user-${u}`, windowMs: WINDOW, max: 50 },
      ],
      (t += 0.1) | 0,
    );
  }
  const three = CHECKS / (Number(process.hrtime.bigint() - start) / 1e9);
  const keysHeld = store.stats().keys;
  await store.close();
  return { perKey, one, three, keysHeld };
}

// --- redis ------------------------------------------------------------------


async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10000);
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { port, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGKILL')))) };
}

async function runConcurrent(n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: CONC }, worker));
}

async function usedMemory(redis) {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

async function benchRedis() {
  const server = await startRedis();
  const store = new RedisStore({ url: `redis://127.0.0.1:${server.port}`, failOpen: false });
  try {
    await store.ready();
    const before = await usedMemory(store.redis);
    await runConcurrent(KEYS, (i) => store.hitAll([{ name: 'u', key: key(i), windowMs: WINDOW, max: MAX }], T0));
    const perKey = ((await usedMemory(store.redis)) - before) / KEYS;
    const n = Math.min(CHECKS, 200_000);
    let start = process.hrtime.bigint();
    await runConcurrent(n, (i) => store.hitAll([{ name: 'u', key: key((i * 7919) % KEYS), windowMs: WINDOW, max: MAX }], T0 + Math.floor(i / 10)));
    const one = n / (Number(process.hrtime.bigint() - start) / 1e9);
    start = process.hrtime.bigint();
    await runConcurrent(n, (i) => {
      const u = (i * 7919) % KEYS;
      return store.hitAll(
        [
          { name: 'global', key: `global:ip:10.0.${u & 255}.${(u >> 8) & 255}`, windowMs: WINDOW, max: 1000 },
          { name: 'per-user', key: key(u), windowMs: WINDOW, max: MAX },
          { name: 'tool-calls', key: `tool-calls:user:user-${u}`, windowMs: WINDOW, max: 50 },
        ],
        T0 + Math.floor(i / 10),
      );
    });
    const three = n / (Number(process.hrtime.bigint() - start) / 1e9);
    const keysHeld = await store.redis.dbsize();
    const st = store.stats();
    return { perKey, one, three, keysHeld, unavailable: st.unavailable };
  } finally {
    await store.close();
    await server.stop();
  }
}

const m = await benchMemory();
console.log(`rate limits, ${fmt(KEYS)} active keys (window ${WINDOW} ms, one admit per key to start)`);
console.log(`memory: ${fmt(m.one)} checks/s (1 limit), ${fmt(m.three)} checks/s (3 limits), ${fmt(m.perKey)} bytes per active key (1 admit each), ${fmt(m.keysHeld)} keys held`);
if (!opts['no-redis']) {
  const r = await benchRedis();
  if (r.unavailable > 0) {
    console.error(`redis: ${r.unavailable} checks found the store unavailable; no figure printed`);
    process.exit(1);
  }
  console.log(
    `redis:  ${fmt(r.one)} checks/s (1 limit), ${fmt(r.three)} checks/s (3 limits), ${CONC} in flight, one client; ${fmt(r.perKey)} bytes per active key (used_memory, 1 admit each), ${fmt(r.keysHeld)} keys, ${r.unavailable} unavailable`,
  );
}
