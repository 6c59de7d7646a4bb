export { tokenEndpoints, type TokenEndpointsOptions } from './token-endpoints.js';
export { authStage, authStageInput, type AuthStageCaller, type AuthStageDeps, type TokenEndpoint } from './auth-stage.js';
export { readLoginRequest, type LoginRequest } from './login-request.js';
export { formatLifetime, type TokenResponse } from './respond.js';
export { createTokenEndpoints, type TokenEndpointsSetup } from './create.js';
