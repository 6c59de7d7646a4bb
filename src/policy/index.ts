export { PolicyEngine, DECISION_ENTRYPOINT, CONTRACT_VERSION, type PolicyEngineOptions } from './engine.js';
export type { PolicyDecision, PolicyReason } from './types.js';
export type { PolicyLogger } from './logger.js';
export { noopLogger } from './logger.js';
export { readBundle, normalizeEntryPath } from './bundle/read-bundle.js';
export { DEFAULT_BUNDLE_LIMITS, type BundleFiles, type BundleLimits, type BundleManifest } from './bundle/types.js';
export { toPolicyDecision, readDecision, failClosed } from './decision.js';
