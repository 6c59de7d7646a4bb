export type { HitAllOptions, HitAllResult, HitResult, RateLimit, RateLimitLogger, RateLimitStore, RateLimitStoreStats } from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { RedisStore, SLIDING_LOG_LUA, type RedisStoreOptions } from './redis-store.js';
export { enforceLimits, applyRateLimitHeaders, type EnforceOptions, type RateLimitOutcome } from './enforce.js';
export { rateLimitConfigFromEnv, RATE_LIMIT_ENV_VARS } from './env.js';
export { LIMITS_ENTRYPOINT, WasmLimitsPolicy, readLimits, type LimitsPolicy } from './policy.js';
export { RateLimiter, rateLimitRequestOf, type KeyGenerator, type RateLimitRequest, type RateLimiterOptions, type RequestFilter, type RuleOptions } from './rate-limiter.js';
