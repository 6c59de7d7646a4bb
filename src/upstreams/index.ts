export { createUpstream } from './create-upstream.js';
export { UpstreamManager } from './upstream-manager.js';
export { UpstreamRpcError, isUpstreamRpcError } from './errors.js';
export { childEnv } from './child-env.js';
export type * from './types.js';
