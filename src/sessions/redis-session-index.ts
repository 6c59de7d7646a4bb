// The session index in Redis, shared by every replica behind one balancer
// (docs/deploy.md, "Sessions across replicas"). Per session a hash
// `hatago:sess:<h(sid)>` whose expiry is the session's idle timeout, restarted
// by each request; per owner and in all, a sorted set of live session ids
// scored by their expiry, which the caps count. Every step is one Lua script,
// so two replicas opening sessions at once cannot both pass a cap. One Redis
// (or a primary with replicas / Sentinel), not Redis Cluster: the owner set's
// key is read from the record inside the scripts.
//
// Fail closed: a store that cannot answer refuses the request
// (ERR_SESSION_STORE_UNAVAILABLE); no replica serves a session it cannot check.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HatagoError } from '../errors/index.js';
import { whenConnected } from '../util/redis-client.js';
import type { SessionCaller, SessionCapHit, SessionCaps, SessionIndex, SessionPatch, SessionRecord } from './session-index.js';

const PREFIX = 'hatago:sess:';
const ALL = `${PREFIX}all`;

/** Keys carry no session id or principal in the clear. */
const hashed = (kind: string, v: string): string => `${PREFIX}${kind}:${createHash('sha256').update(v).digest('hex').slice(0, 32)}`;

/**
 * KEYS: record, owner set, all set. ARGV: now, maxTotal, maxPerPrincipal, member, idle, then field/value pairs.
 * Returns 0 (opened), 1 (total cap), 2 (per-principal cap).
 */
const OPEN_LUA = `
local now = tonumber(ARGV[1])
local exp = now + tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 2 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIREAT', KEYS[1], exp)
for i = 2, 3 do
  redis.call('ZADD', KEYS[i], exp, ARGV[4])
  if redis.call('PTTL', KEYS[i]) < exp - now then redis.call('PEXPIREAT', KEYS[i], exp) end
end
return 0
`;

/**
 * KEYS: record, all set. ARGV: now, member, caller ('-': the stream's
 * keep-alive; else owner field and token). The record's fields, its expiry
 * restarted; empty when it ended or the caller is not its owner.
 */
const TOUCH_LUA = `
local f = redis.call('HMGET', KEYS[1], 'idleTimeoutMs', 'ownerSet', 'owner')
if not f[1] then return {} end
local keepAlive = ARGV[3] == '-'
if not keepAlive and f[3] ~= ARGV[3] then return {} end
local now = tonumber(ARGV[1])
local exp = now + tonumber(f[1])
redis.call('PEXPIREAT', KEYS[1], exp)
for _, k in ipairs({f[2], KEYS[2]}) do
  redis.call('ZADD', k, 'XX', exp, ARGV[2])
  if redis.call('PTTL', k) < exp - now then redis.call('PEXPIREAT', k, exp) end
end
if not keepAlive then redis.call('HSET', KEYS[1], 'token', ARGV[4]) end
return redis.call('HGETALL', KEYS[1])
`;

/** KEYS: record. ARGV: field/value pairs. A record that ended is not brought back. */
const UPDATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 0
`;

/** KEYS: record. ARGV: replica. */
const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'stream') == ARGV[1] then redis.call('HSET', KEYS[1], 'stream', '') end
return 0
`;

/** KEYS: record, all set. ARGV: member. 1 when this call ended it. */
const END_LUA = `
local o = redis.call('HGET', KEYS[1], 'ownerSet')
if not o then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', o, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

type Scripted = Redis & {
  hatagoSessionOpen(...a: (string | number)[]): Promise<number>;
  hatagoSessionTouch(...a: (string | number)[]): Promise<string[]>;
  hatagoSessionUpdate(...a: (string | number)[]): Promise<number>;
  hatagoSessionRelease(...a: (string | number)[]): Promise<number>;
  hatagoSessionEnd(...a: (string | number)[]): Promise<number>;
};

/** An owner is stored with a leading "=" so that the empty string can mean anonymous. */
const ownerField = (owner: string | null): string => (owner === null ? '' : `=${owner}`);

function unavailable(err: unknown): HatagoError {
  return new HatagoError('ERR_SESSION_STORE_UNAVAILABLE', { detail: `session index: ${(err as Error)?.message ?? String(err)}` });
}

/** The hash's fields back to a record; undefined for one this version cannot read (treated as ended). */
function parseRecord(flat: readonly string[]): SessionRecord | undefined {
  if (flat.length === 0) return undefined;
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  try {
    const capabilities = JSON.parse(h.capabilities ?? '') as unknown;
    const idleTimeoutMs = Number(h.idleTimeoutMs);
    if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities) || !(idleTimeoutMs > 0)) return undefined;
    return {
      owner: h.owner === undefined || h.owner === '' ? null : h.owner.slice(1),
      ownerKey: h.ownerKey ?? '',
      protocolVersion: h.protocolVersion ?? '',
      capabilities: capabilities as Record<string, unknown>,
      idleTimeoutMs,
      replica: h.replica ?? '',
      stream: h.stream ?? '',
      logLevel: Number(h.logLevel) || 0,
      token: h.token ?? '',
    };
  } catch {
    return undefined;
  }
}

export class RedisSessionIndex implements SessionIndex {
  /** `waitMs`: how long a command waits for a connection being made before it fails. */
  constructor(readonly client: Redis, private readonly waitMs = 1000) {
    const scripted = client as Scripted;
    if (typeof scripted.hatagoSessionOpen !== 'function') {
      client.defineCommand('hatagoSessionOpen', { lua: OPEN_LUA, numberOfKeys: 3 });
      client.defineCommand('hatagoSessionTouch', { lua: TOUCH_LUA, numberOfKeys: 2 });
      client.defineCommand('hatagoSessionUpdate', { lua: UPDATE_LUA, numberOfKeys: 1 });
      client.defineCommand('hatagoSessionRelease', { lua: RELEASE_LUA, numberOfKeys: 1 });
      client.defineCommand('hatagoSessionEnd', { lua: END_LUA, numberOfKeys: 2 });
    }
    client.on('error', () => undefined); // met, and refused closed, by each command
  }

  async open(id: string, record: SessionRecord, caps: SessionCaps): Promise<SessionCapHit | undefined> {
    const ownerSet = hashed('owner', record.ownerKey);
    const fields = {
      owner: ownerField(record.owner), ownerKey: record.ownerKey, ownerSet,
      protocolVersion: record.protocolVersion, capabilities: JSON.stringify(record.capabilities),
      idleTimeoutMs: String(record.idleTimeoutMs), replica: record.replica, stream: record.stream, logLevel: String(record.logLevel), token: record.token,
    };
    const hit = await this.run((r) => r.hatagoSessionOpen(hashed('s', id), ownerSet, ALL, Date.now(), caps.maxTotal, caps.maxPerPrincipal, id, record.idleTimeoutMs, ...Object.entries(fields).flat()));
    if (hit === 1) return { limit: 'total', max: caps.maxTotal };
    if (hit === 2) return { limit: 'per_principal', max: caps.maxPerPrincipal };
    return undefined;
  }

  async touch(id: string, caller?: SessionCaller): Promise<SessionRecord | undefined> {
    const who = caller ? [ownerField(caller.owner), caller.token] : ['-'];
    return parseRecord(await this.run((r) => r.hatagoSessionTouch(hashed('s', id), ALL, Date.now(), id, ...who)));
  }

  async peek(id: string): Promise<SessionRecord | undefined> {
    return parseRecord(Object.entries(await this.run((r) => r.hgetall(hashed('s', id)))).flat());
  }

  async update(id: string, patch: SessionPatch): Promise<void> {
    const pairs = Object.entries(patch).flatMap(([k, v]) => [k, String(v)]);
    if (pairs.length > 0) await this.run((r) => r.hatagoSessionUpdate(hashed('s', id), ...pairs));
  }

  async releaseStream(id: string, replica: string): Promise<void> {
    await this.run((r) => r.hatagoSessionRelease(hashed('s', id), replica));
  }

  async end(id: string): Promise<boolean> {
    return (await this.run((r) => r.hatagoSessionEnd(hashed('s', id), ALL, id))) === 1;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private async run<T>(cmd: (r: Scripted) => Promise<T>): Promise<T> {
    try {
      await whenConnected(this.client, this.waitMs);
      return await cmd(this.client as Scripted);
    } catch (err) {
      throw unavailable(err);
    }
  }
}
