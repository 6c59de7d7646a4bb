// The flow history in Redis, shared by hub replicas (docs/flows.md): a
// stateless caller round-robined across replicas keeps one history. Per key,
// a list of entries (trimmed to historySize) and a hash of labels with when
// each was last seen; both expire (the window, or a day for a session, which
// also ends them on close). Fail closed: a store that cannot answer refuses
// the request (ERR_FLOW_STORE_UNAVAILABLE).

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HatagoError } from '../errors/index.js';
import type { CallerContext } from '../hub/types.js';
import { createRedisClient } from '../util/redis-client.js';
import { FLOW_DEFAULTS, historyKey, type FlowEntry, type FlowHistoryOptions, type FlowRecorder, type SessionView } from './flow-history.js';

/** A session's history outlives it by at most this long in Redis (its DEL on close may not arrive). */
const SESSION_TTL_MS = 24 * 3_600_000;
const MAX_LABELS = 64;
const PREFIX = 'hatago:flows:';

function unavailable(err: unknown): HatagoError {
  return new HatagoError('ERR_FLOW_STORE_UNAVAILABLE', { detail: `flow history store: ${(err as Error)?.message ?? String(err)}` });
}

/** Key names carry no principal or session id in the clear. */
const redisKey = (key: string): string => PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 32);

function parseEntry(text: string): FlowEntry | undefined {
  try {
    const e = JSON.parse(text) as FlowEntry;
    return typeof e.server === 'string' && typeof e.tool === 'string' && Array.isArray(e.labels) && typeof e.at_ns === 'number' ? e : undefined;
  } catch {
    return undefined;
  }
}

export class RedisFlowHistory implements FlowRecorder {
  private readonly size: number;
  private readonly windowMs: number;

  constructor(private readonly client: Redis, opts: FlowHistoryOptions = {}) {
    this.size = opts.historySize ?? FLOW_DEFAULTS.historySize;
    this.windowMs = opts.windowMs ?? FLOW_DEFAULTS.windowMs;
    client.on('error', () => undefined); // met, and refused closed, by the reads and writes
  }

  static open(url: string, opts: FlowHistoryOptions = {}): RedisFlowHistory {
    return new RedisFlowHistory(createRedisClient({ url, commandTimeoutMs: 1000 }), opts);
  }

  async view(ctx: CallerContext, nowMs = Date.now()): Promise<SessionView> {
    const { key, windowed } = historyKey(ctx);
    const k = redisKey(key);
    let res: [Error | null, unknown][] | null;
    try {
      res = await this.client.multi().lrange(`${k}:h`, 0, -1).hgetall(`${k}:l`).exec();
    } catch (err) {
      throw unavailable(err);
    }
    const failed = res?.find(([e]) => e !== null);
    if (!res || failed) throw unavailable(failed?.[0] ?? new Error('no answer'));
    const since = windowed ? nowMs - this.windowMs : -Infinity;
    const history = ((res[0]![1] as string[]) ?? []).map(parseEntry).filter((e): e is FlowEntry => e !== undefined && e.at_ns / 1e6 >= since);
    const seen = (res[1]![1] as Record<string, string>) ?? {};
    const labels = Object.entries(seen).filter(([, at]) => Number(at) >= since).map(([l]) => l).sort().slice(0, MAX_LABELS);
    return { history: history.slice(-this.size), labels };
  }

  async record(ctx: CallerContext, call: { server: string; tool: string; labels: readonly string[] }, nowMs = Date.now()): Promise<void> {
    const { key, windowed } = historyKey(ctx);
    const k = redisKey(key);
    const ttl = windowed ? this.windowMs : SESSION_TTL_MS;
    const entry: FlowEntry = { server: call.server, tool: call.tool, labels: [...call.labels], at_ns: nowMs * 1e6 };
    const m = this.client.multi().rpush(`${k}:h`, JSON.stringify(entry)).ltrim(`${k}:h`, -this.size, -1).pexpire(`${k}:h`, ttl);
    if (call.labels.length > 0) {
      m.hset(`${k}:l`, Object.fromEntries(call.labels.map((l) => [l, String(nowMs)]))).pexpire(`${k}:l`, ttl);
    }
    let res: [Error | null, unknown][] | null;
    try {
      res = await m.exec();
    } catch (err) {
      throw unavailable(err);
    }
    const failed = res?.find(([e]) => e !== null);
    if (!res || failed) throw unavailable(failed?.[0] ?? new Error('no answer'));
  }

  forget(connectionId: string): void {
    const k = redisKey(`connection:${connectionId}`);
    this.client.del(`${k}:h`, `${k}:l`).catch(() => undefined); // expires anyway
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
