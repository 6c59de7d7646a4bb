export { AuthorizationManager, type AuthorizationManagerOptions, type AuthorizationRule, type AuthorizationUser, type PermissionDecision } from './authorization-manager.js';
export { permissionRequest } from './permission-request.js';
