// Package entry: the building blocks of the hub. `./security` holds the
// security guide's API (AuthenticationManager, ...).
export * from './security.js';
export { loadConfig, embeddedDefaultConfig, type HatagoConfig, type ServerConfig } from './config/index.js';
export { PolicyEngine, type PolicyDecision } from './policy/index.js';
export { UpstreamManager, createUpstream } from './upstreams/index.js';
export { Hub } from './hub/hub.js';
export { createHttpApp } from './http/app.js';
export { serveStdio } from './stdio/serve-stdio.js';
export { PolicyGuard } from './pipeline/policy/policy-guard.js';
export { startHub, type RunningHub, type StartHubOptions } from './server/start-hub.js';
export { createLogger } from './log/winston-logger.js';
export type { Logger } from './log/logger.js';
