// `cluster`: several replicas behind one load balancer (docs/deploy.md).
// With `cluster.enabled`, every piece of state that must be one across the
// replicas goes to the Redis at `cluster.redis`: rate-limit counters, revoked
// tokens, suspicious-activity counts and blocks, definition pins, flow histories,
// and the 2025-11-25 session index (src/sessions). A store key
// left out takes that URL; one set to a per-process store (`memory`, `file`)
// stops start-up with one line naming it. Each replica writes its own audit
// chain, named by its replica id, in one folder.

import { hostname } from 'node:os';
import path from 'node:path';
import { HatagoError } from '../errors/index.js';
import type { HatagoConfig } from './types.js';

export const REPLICA_ID_ENV = 'HATAGO_REPLICA_ID';
const REPLICA_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface ClusterConfig {
  enabled?: boolean;
  /** `redis://` / `rediss://` URL every replica shares. Required when enabled. */
  redis?: string;
  /** Names this replica's audit chain. Default HATAGO_REPLICA_ID, else the host name. */
  replicaId?: string;
}

const invalid = (message: string) => new HatagoError('ERR_CONFIG_INVALID', { message });

/** A Redis URL without its password, for messages. */
export function redisLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}

/** The id naming this replica's audit chain: cluster.replicaId, HATAGO_REPLICA_ID, else the host name made safe for a file name. */
export function replicaId(config: Pick<HatagoConfig, 'cluster'>, env: NodeJS.ProcessEnv = process.env): string {
  const given = config.cluster?.replicaId ?? env[REPLICA_ID_ENV];
  if (given !== undefined && given !== '') {
    if (!REPLICA_ID.test(given)) {
      const key = config.cluster?.replicaId !== undefined ? 'cluster.replicaId' : REPLICA_ID_ENV;
      throw invalid(`${key} "${given}" must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
    return given;
  }
  const fromHost = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return fromHost === '' ? 'replica' : fromHost;
}

/** `logs/audit.log` -> `logs/audit/<replica>.log`: one folder of chains, one per replica. */
export function replicaAuditFile(file: string, id: string): string {
  const ext = path.extname(file);
  const folder = ext === '' ? `${file}.d` : file.slice(0, -ext.length);
  return path.join(folder, `${id}${ext === '' ? '.log' : ext}`);
}

/**
 * With `cluster.enabled`: checks that Redis is configured and that no store
 * is kept per process, fills the store keys left out with `cluster.redis`,
 * and points the audit trail at this replica's chain. Returns one note per
 * filled key. Without it, nothing changes.
 */
export function applyCluster(config: HatagoConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const cluster = config.cluster;
  if (cluster?.enabled !== true) return [];
  const url = cluster.redis;
  if (url === undefined || url === '') {
    throw invalid('cluster.enabled is true but cluster.redis is not set: replicas share sessions, rate limits, revoked tokens, suspicious-activity blocks, pins and flow histories through Redis; set cluster.redis to a redis:// or rediss:// URL (docs/deploy.md)');
  }
  const sec = config.security;
  const shared: { key: string; get: () => string | undefined; set: (v: string) => void; local: string }[] = [
    { key: 'security.rateLimit.store', local: 'memory', get: () => sec.rateLimit?.store, set: (v) => (sec.rateLimit = { ...sec.rateLimit, store: v }) },
    { key: 'security.suspicious.store', local: 'memory', get: () => sec.suspicious?.store, set: (v) => (sec.suspicious = { ...sec.suspicious, store: v }) },
    { key: 'security.pinning.store', local: 'file', get: () => sec.pinning?.store, set: (v) => (sec.pinning = { ...sec.pinning, store: v }) },
    { key: 'security.flows.store', local: 'memory', get: () => sec.flows?.store, set: (v) => (sec.flows = { ...sec.flows, store: v }) },
  ];
  if (sec.authentication?.enabled === true) {
    const auth = sec.authentication;
    shared.push({ key: 'security.authentication.revocation.store', local: 'memory', get: () => auth.revocation?.store, set: (v) => (auth.revocation = { ...auth.revocation, store: v }) });
  }
  const notes: string[] = [];
  for (const s of shared) {
    const v = s.get();
    if (v === s.local) throw invalid(`${s.key} is "${v}" but cluster.enabled is true: each replica would keep its own; remove the key (it then uses cluster.redis) or set a Redis URL`);
    if (v === undefined) {
      s.set(url);
      notes.push(`cluster: ${s.key} uses cluster.redis (${redisLabel(url)})`);
    }
  }
  const id = replicaId(config, env);
  const file = replicaAuditFile(sec.audit?.file ?? path.join('logs', 'audit.log'), id);
  sec.audit = { ...sec.audit, file };
  notes.push(`cluster: replica ${id} writes its audit chain to ${file}`);
  return notes;
}

/** With `cluster.enabled`: one PING to cluster.redis, bounded; a Redis that does not answer stops start-up with one line. */
export async function checkClusterRedis(config: Pick<HatagoConfig, 'cluster'>, timeoutMs = 3000): Promise<void> {
  const url = config.cluster?.enabled === true ? config.cluster.redis : undefined;
  if (url === undefined) return;
  // One attempt, no reconnects: a yes or no for start-up. ioredis is loaded only here, when a cluster names Redis.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: timeoutMs, commandTimeout: timeoutMs });
  let lastError: string | undefined;
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } catch (err) {
    // The connection's own error (ECONNREFUSED, ENOTFOUND, WRONGPASS) says more than "Connection is closed".
    const why = lastError ?? (err instanceof Error && err.message !== '' ? err.message : 'no answer');
    throw new HatagoError('ERR_CLUSTER_REDIS_UNREACHABLE', { message: `cluster.redis (${redisLabel(url)}) does not answer: ${why}; replicas need it for shared state (cluster.enabled is true, docs/deploy.md)` });
  } finally {
    redis.disconnect();
  }
}
