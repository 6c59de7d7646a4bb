// The stores and breakers startHub builds once the port is bound (loaded with src/server/hub-modules.ts):
// the pin store, the breakers and their table from the policy, the rate-limit counters, the flow history.
import type { HatagoConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_MAX_ENTRIES, PinFileError } from '../pinning/pin-file.js';
import { FilePinBackend, isRedisUrl, RedisPinBackend, type PinBackend } from '../pinning/pin-backend.js';
import { pinFilePath, pinStoreUrl } from '../pinning/pin-path.js';
import { PinRegistry } from '../pinning/registry.js';
import { FlowHistory, type FlowRecorder } from '../flows/flow-history.js';
import { RedisFlowHistory } from '../flows/redis-flow-history.js';
import { MemoryStore } from '../ratelimit/memory-store.js';
import { RedisStore } from '../ratelimit/redis-store.js';
import type { RateLimitStore } from '../ratelimit/types.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import type { PolicyDecider } from '../pipeline/policy-source.js';
import { BreakerRegistry, breakerTableInput, parseBreakerTable, type BreakerTable } from '../breaker/index.js';
import type { HatagoMetrics } from '../metrics/index.js';
import { timedStore } from '../metrics/instrument.js';

/** The pin store (docs/pinning.md): Redis when security.pinning.store names it, else the file; none when pinning is off. */
export async function pinBackendFor(config: HatagoConfig, logger: Logger): Promise<PinBackend | undefined> {
  if (config.security.pinning?.enabled === false) return undefined;
  const url = pinStoreUrl(config);
  return url ? RedisPinBackend.open(url, logger) : new FilePinBackend(pinFilePath(config));
}

/** A pin store that cannot be reached or read stops the start, with the store's own words. */
export async function pinStoreStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof PinFileError) throw new HatagoError('ERR_PIN_STORE_UNAVAILABLE', { message: err.message });
    throw err;
  }
}

export function pinsFor(config: HatagoConfig, backend: PinBackend, events: SecurityEventSink, logger: Logger): PinRegistry {
  return new PinRegistry({ backend, maxEntries: config.security.pinning?.maxEntries ?? DEFAULT_MAX_ENTRIES, events, logger });
}

/**
 * One breaker per enabled upstream. The policy chooses each server's rule and
 * error classification once (stage "breaker_table"), not per request.
 */
export function createBreakers(engine: PolicyDecider, config: HatagoConfig, logger: Logger, metrics: HatagoMetrics, events: SecurityEventSink): BreakerRegistry {
  const table = breakerTable(engine, config);
  const log = logger.child({ component: 'circuit-breaker' });
  return new BreakerRegistry({
    table,
    logger: log,
    metrics,
    onStateChange: (change) => {
      metrics.breakerTransitions.inc({ server: change.server, from: change.from, to: change.to });
      events({ event: 'circuit_breaker_state_change', level: change.to === 'open' ? 'warn' : 'info', metadata: { ...change } }).catch((err: unknown) =>
        log.error('audit record of a breaker change failed', { error: String(err) }),
      );
    },
  });
}

/** Counters in memory, or in Redis when `security.rateLimit.store` names a URL (shared by several hubs). */
export function createRateLimitStore(cfg: HatagoConfig['security']['rateLimit'], logger: Logger, metrics: HatagoMetrics): RateLimitStore {
  const store = cfg?.store;
  if (store === undefined || store === 'memory') return timedStore(new MemoryStore(), 'memory', metrics);
  return timedStore(new RedisStore({ url: store, failOpen: cfg?.failOpen === true, logger: logger.child({ component: 'rate-limit' }) }), 'redis', metrics);
}

export function breakerTable(engine: PolicyDecider, config: HatagoConfig): BreakerTable {
  const servers = Object.entries(config.mcpServers)
    .filter(([, s]) => s.disabled !== true)
    .map(([id, s]) => ({ id, tags: s.tags ?? [] }));
  return parseBreakerTable(engine.decide(breakerTableInput(servers)).raw, servers.map((s) => s.id));
}

/** The flow history (docs/flows.md): Redis when security.flows.store names it (cluster.enabled fills it with cluster.redis), else memory. */
export function flowHistoryFor(config: HatagoConfig): FlowRecorder {
  const flows = config.security.flows;
  const opts = {
    ...(flows?.historySize !== undefined && { historySize: flows.historySize }),
    ...(flows?.windowMs !== undefined && { windowMs: flows.windowMs }),
    ...(flows?.maxKeys !== undefined && { maxKeys: flows.maxKeys }),
  };
  // Not inherited from the rate limits' Redis: their failOpen must not turn into a flow store that refuses.
  return isRedisUrl(flows?.store) ? RedisFlowHistory.open(flows.store, opts) : new FlowHistory(opts);
}
