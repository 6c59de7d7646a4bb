import type { Logger } from '../../log/logger.js';
import { MemorySuspiciousStore } from './memory-store.js';
import { RedisSuspiciousStore } from './redis-store.js';
import type { SuspiciousStore } from './store.js';

/** `security.suspicious.store`: `memory` (default) or a `redis://` / `rediss://` URL shared by several replicas. */
export function createSuspiciousStore(store: string | undefined, logger?: Logger): SuspiciousStore {
  if (store === undefined || store === 'memory') return new MemorySuspiciousStore();
  return new RedisSuspiciousStore({ url: store, ...(logger && { logger }) });
}
