import { MemoryRevokedTokenStore } from './memory-store.js';
import { RedisRevokedTokenStore } from './redis-store.js';
import type { RevokedTokenStore } from './types.js';

/** `security.authentication.revocation`. */
export interface RevocationConfig {
  /** `memory` (default) or a `redis://` / `rediss://` URL shared by several hubs. */
  store?: string;
}

export function createRevokedTokenStore(cfg: RevocationConfig | undefined): RevokedTokenStore {
  const store = cfg?.store;
  if (store === undefined || store === 'memory') return new MemoryRevokedTokenStore();
  return new RedisRevokedTokenStore({ url: store });
}
