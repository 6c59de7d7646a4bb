// `@himorishige/hatago/security`: the security guide's TypeScript API.
export { AuthenticationManager, bearerFromHeader, wwwAuthenticate } from './auth/index.js';
export type { AuthenticationOptions, TokenClaims } from './auth/index.js';
export { AuthorizationManager, type AuthorizationManagerOptions, type AuthorizationUser } from './authz/index.js';
export { HatagoError, ERROR_CODES, type ErrorCode } from './errors/index.js';
export { ValidationManager, type ValidationIssue, type ValidationResult } from './validation/index.js';
