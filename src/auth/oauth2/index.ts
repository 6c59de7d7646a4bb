export { OAuth2ResourceServer } from './resource-server.js';
export { createResourceServer } from './create.js';
export { resolveOAuth2Options, requiredScopesOf, type OAuth2ProviderOptions, type ResolvedOAuth2Options, OIDC_IDENTITY_SCOPES, ASYMMETRIC_ALGORITHMS } from './options.js';
export { protectedResourceMetadata, metadataUrl, metadataPaths, WELL_KNOWN, type ProtectedResourceMetadata } from './metadata.js';
export { protectedResourceMetadataRoute } from './route.js';
export { TokenCache } from './token-cache.js';
export { oauth2Principal, claimAt } from './principal.js';
