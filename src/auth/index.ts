export { AuthenticationManager } from './manager.js';
export { type AuthenticationOptions, ENV as AUTH_ENV, DEFAULT_EXPIRES_IN, DEFAULT_MAX_TOKEN_BYTES } from './options.js';
export { type TokenClaims, type SignOptions } from './sign-token.js';
export { type TokenFailureReason, failureReason } from './errors.js';
export { bearerFromHeader } from './bearer.js';
export { wwwAuthenticate } from './www-authenticate.js';
export { assertSafeAuthBinding, isLoopbackHost } from './safe-binding.js';
export { parseDuration } from './duration.js';
export { ALGORITHM_FAMILIES } from './algorithms.js';
