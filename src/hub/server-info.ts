// What the hub says about itself: identity, capabilities and the protocol
// revisions it speaks, for `initialize` (2025-11-25) and `server/discover`
// (2026-07-28).

import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';
export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

export interface ServerIdentity {
  name: string;
  version: string;
}

export const DEFAULT_IDENTITY: ServerIdentity = { name: 'hatago', version: '0.1.0' };

/** Sessionful clients: subscriptions and list_changed arrive on their session. */
export function legacyCapabilities(): Record<string, unknown> {
  return {
    tools: { listChanged: true },
    prompts: { listChanged: true },
    resources: { subscribe: true, listChanged: true },
    completions: {},
    logging: {},
  };
}

/** Stateless clients have no channel for notifications, so nothing is promised there. */
export function modernCapabilities(): Record<string, unknown> {
  return { tools: {}, prompts: {}, resources: {}, completions: {}, logging: {} };
}

/** The revision answered to an `initialize` asking for `requested`. */
export function negotiateLegacyVersion(requested: unknown): string {
  return typeof requested === 'string' && LEGACY_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}
