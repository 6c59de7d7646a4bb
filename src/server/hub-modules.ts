// What startHub needs only once the port is bound: express and the routes built on it, the MCP SDKs (hub,
// upstreams, stdio), ajv (validation), the request stages and their stores (src/server/hub-stores.ts).
// startHub imports this module after /health answers, so those modules (most of the start-up's import time)
// load while the probes already get their 200 (docs/health.md).
export { default as express } from 'express';
export { protectedResourceMetadataRoute } from '../auth/oauth2/route.js';
export { createTokenEndpoints } from '../auth/endpoints/index.js';
export { createHttpApp, isPlainMcp } from '../http/app.js';
export { Hub } from '../hub/hub.js';
export { createHubValidation, limitsFromConfig } from '../validation/index.js';
export { serveStdio } from '../stdio/serve-stdio.js';
export { corsPreflight } from './cors.js';
export { consoleRouter } from '../console/routes.js';
export { authenticationMethod, authenticationStage } from '../pipeline/authentication/stage.js';
export { metricsRoute } from './metrics-route.js';
export { approvalsRoute } from './approvals-route.js';
export { startupSummary, tlsMode } from './startup-summary.js';
export { PolicyGuard } from '../pipeline/policy/policy-guard.js';
export { ApprovalQueue, DEFAULT_APPROVAL_LIMITS } from '../approval/approval-queue.js';
export { Approvals } from '../approval/approvals.js';
export { RateLimiting } from '../pipeline/rate-limit/rate-limiting.js';
export { createBreakers, breakerTable, createRateLimitStore, flowHistoryFor, pinBackendFor, pinStoreStep, pinsFor } from './hub-stores.js';
