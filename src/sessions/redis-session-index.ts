// The session index in Redis, shared by every replica behind one balancer
// (docs/deploy.md, "Sessions across replicas"). Per session a hash
// `hatago:sess:s:<h(sid)>` with its logical end (`expiresAt`: the idle
// timeout, restarted by each request and by keep-alives while a stream is
// open or a call runs), kept a grace minute past it so that exactly one
// replica removes it and records the end; per owner and in all, a sorted set
// of live sessions (hashed) scored by their end, which the caps count. Every
// step is one Lua script on Redis's own clock (TIME), so two replicas opening
// sessions at once cannot both pass a cap and skewed clocks change nothing. One Redis
// (or a primary with replicas / Sentinel), not Redis Cluster: the owner set's
// key is read from the record inside the scripts.
//
// Fail closed: a store that cannot answer refuses the request
// (ERR_SESSION_STORE_UNAVAILABLE); no replica serves a session it cannot check.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HatagoError } from '../errors/index.js';
import { whenConnected } from '../util/redis-client.js';
import { FOREIGN, type SessionCaller, type SessionCapHit, type SessionCaps, type SessionIndex, type SessionPatch, type SessionRecord } from './session-index.js';

const PREFIX = 'hatago:sess:';
const ALL = `${PREFIX}all`;
/** An ended entry stays this long past its idle time, so that the replica that removes it knows it ended it (and records that once). */
const GRACE_MS = 60_000;

/** Keys and set members carry no session id or principal in the clear. */
const hashed = (kind: string, v: string): string => `${PREFIX}${kind}:${createHash('sha256').update(v).digest('hex').slice(0, 32)}`;

// Every time is Redis's own (TIME): replicas' clocks may disagree.
const NOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Restarts the entry's idle time: its logical end, its physical expiry (with the grace), its set scores. */
const RESTART_LUA = `
local function restart(k, owners, all, member, idle, grace, now)
  local exp = now + idle
  redis.call('HSET', k, 'expiresAt', exp)
  redis.call('PEXPIRE', k, idle + grace)
  for _, set in ipairs({owners, all}) do
    redis.call('ZADD', set, exp, member)
    if redis.call('PTTL', set) < idle + grace then redis.call('PEXPIRE', set, idle + grace) end
  end
end
`;

/**
 * KEYS: record, owner set, all set. ARGV: maxTotal, maxPerPrincipal, member, idle, grace, then field/value pairs.
 * Returns 0 (opened), 1 (total cap), 2 (per-principal cap).
 */
const OPEN_LUA = `${NOW_LUA}${RESTART_LUA}
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 2 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
restart(KEYS[1], KEYS[2], KEYS[3], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), now)
return 0
`;

/**
 * KEYS: record, all set. ARGV: member, grace, caller ('-': a keep-alive;
 * else the owner field), token, '1' to return the capabilities. The
 * record's fields, its idle time restarted; {} when it ended (or past its
 * idle time), {'-'} when the caller is not its owner.
 */
const TOUCH_LUA = `${NOW_LUA}${RESTART_LUA}
local f = redis.call('HMGET', KEYS[1], 'idleTimeoutMs', 'ownerSet', 'owner', 'expiresAt')
if not f[1] or not f[2] or not f[4] or tonumber(f[4]) <= now then return {} end
local keepAlive = ARGV[3] == '-'
if not keepAlive and f[3] ~= ARGV[3] then return {'-'} end
restart(KEYS[1], f[2], KEYS[2], ARGV[1], tonumber(f[1]), tonumber(ARGV[2]), now)
if not keepAlive then redis.call('HSET', KEYS[1], 'token', ARGV[4]) end
local all = redis.call('HGETALL', KEYS[1])
if ARGV[5] == '1' then return all end
local out = {}
for i = 1, #all, 2 do
  if all[i] ~= 'capabilities' then
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out
`;

/** KEYS: record. The record's fields; {} when it ended or is past its idle time. */
const PEEK_LUA = `${NOW_LUA}
local e = redis.call('HGET', KEYS[1], 'expiresAt')
if not e or tonumber(e) <= now then return {} end
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

/** KEYS: record, all set. ARGV: member. 1 when this call removed it. */
const END_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local o = redis.call('HGET', KEYS[1], 'ownerSet')
redis.call('DEL', KEYS[1])
if o then redis.call('ZREM', o, ARGV[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

type Scripted = Redis & {
  hatagoSessionOpen(...a: (string | number)[]): Promise<number>;
  hatagoSessionTouch(...a: (string | number)[]): Promise<string[]>;
  hatagoSessionPeek(key: string): Promise<string[]>;
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
    // Left out by a touch that did not ask for them.
    const capabilities = JSON.parse(h.capabilities ?? '{}') as unknown;
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
      client.defineCommand('hatagoSessionPeek', { lua: PEEK_LUA, numberOfKeys: 1 });
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
    const key = hashed('s', id);
    const hit = await this.run((r) => r.hatagoSessionOpen(key, ownerSet, ALL, caps.maxTotal, caps.maxPerPrincipal, key, record.idleTimeoutMs, GRACE_MS, ...Object.entries(fields).flat()));
    if (hit === 1) return { limit: 'total', max: caps.maxTotal };
    if (hit === 2) return { limit: 'per_principal', max: caps.maxPerPrincipal };
    return undefined;
  }

  async touch(id: string, caller?: SessionCaller, withCapabilities = false): Promise<SessionRecord | typeof FOREIGN | undefined> {
    const key = hashed('s', id);
    const who = caller ? [ownerField(caller.owner), caller.token] : ['-', ''];
    const flat = await this.run((r) => r.hatagoSessionTouch(key, ALL, key, GRACE_MS, ...who, withCapabilities ? '1' : '0'));
    if (flat.length === 1 && flat[0] === '-') return FOREIGN;
    return parseRecord(flat);
  }

  async peek(id: string): Promise<SessionRecord | undefined> {
    return parseRecord(await this.run((r) => r.hatagoSessionPeek(hashed('s', id))));
  }

  async update(id: string, patch: SessionPatch): Promise<void> {
    const pairs = Object.entries(patch).flatMap(([k, v]) => [k, String(v)]);
    if (pairs.length > 0) await this.run((r) => r.hatagoSessionUpdate(hashed('s', id), ...pairs));
  }

  async releaseStream(id: string, replica: string): Promise<void> {
    await this.run((r) => r.hatagoSessionRelease(hashed('s', id), replica));
  }

  async end(id: string): Promise<boolean> {
    const key = hashed('s', id);
    return (await this.run((r) => r.hatagoSessionEnd(key, ALL, key))) === 1;
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
