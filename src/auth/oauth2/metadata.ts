// RFC 9728 protected resource metadata: what an MCP client fetches (from the
// 401 challenge's resource_metadata) to find the authorization server.

import type { ResolvedOAuth2Options } from './options.js';

export const WELL_KNOWN = '/.well-known/oauth-protected-resource';

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
}

/**
 * RFC 9728 §3.1: the well-known segment goes between the host and the
 * resource's path (https://h/mcp -> https://h/.well-known/oauth-protected-resource/mcp).
 */
export function metadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}${WELL_KNOWN}${path}`;
}

/** Paths the hub serves the document on: the RFC 9728 one, and the bare one older MCP clients try. */
export function metadataPaths(resource: string): string[] {
  return [...new Set([new URL(metadataUrl(resource)).pathname, WELL_KNOWN])];
}

export function protectedResourceMetadata(opts: ResolvedOAuth2Options): ProtectedResourceMetadata {
  return {
    resource: opts.resource,
    // Issuer identifiers (RFC 9728 §2); without an issuer there is none to name.
    ...(opts.issuer !== undefined && { authorization_servers: [opts.issuer] }),
    ...(opts.scopesSupported.length > 0 && { scopes_supported: opts.scopesSupported }),
    // RFC 6750 §2.1 only: tokens in a query string or form body end up in logs.
    bearer_methods_supported: ['header'],
    resource_name: 'hatago',
  };
}
