export { AuthorizationManager, type AuthorizationManagerOptions, type AuthorizationUser } from './authorization-manager.js';
export { permissionRequest } from './permission-request.js';
