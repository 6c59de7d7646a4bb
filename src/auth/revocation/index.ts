export type { RevokedTokenStore } from './types.js';
export { MemoryRevokedTokenStore, type MemoryRevokedTokenStoreOptions } from './memory-store.js';
export { RedisRevokedTokenStore, type RedisRevokedTokenStoreOptions } from './redis-store.js';
export { createRevokedTokenStore, type RevocationConfig } from './create-store.js';
