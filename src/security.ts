// `@himorishige/hatago/security`: the security guide's TypeScript API.
export { AuthenticationManager, bearerFromHeader, wwwAuthenticate } from './auth/index.js';
export type { AuthenticationDeps, AuthenticationOptions, SignOptions, TokenClaims } from './auth/index.js';
export { MemoryRevokedTokenStore, RedisRevokedTokenStore, type RevokedTokenStore } from './auth/revocation/index.js';
export { hashPassword, verifyPassword, parsePasswordHash } from './auth/users/index.js';
export { AuthorizationManager, type AuthorizationManagerOptions, type AuthorizationRule, type AuthorizationUser, type PermissionDecision } from './authz/index.js';
export { HatagoError, ERROR_CODES, type ErrorCode } from './errors/index.js';
export { ValidationManager, type ValidationIssue, type ValidationResult } from './validation/index.js';
export { RateLimiter, MemoryStore, RedisStore, type RateLimitStore, type RateLimit, type RateLimitOutcome } from './ratelimit/index.js';
export { CircuitBreaker, BreakerRegistry, classifyError, type BreakerRule, type BreakerState, type ErrorKind, type Severity } from './breaker/index.js';
export type { SecurityEvent, SecurityEventSink } from './pipeline/security-events.js';
