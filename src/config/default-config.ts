import type { HatagoConfig } from './types.js';
import { packagePath } from '../util/package-root.js';

/** The shipped policy bundle, built from policies/rego by `npm run policy:build`. */
export const DEFAULT_BUNDLE_PATH = packagePath('policies', 'bundle', 'hatago.tar.gz');

/** The guide's example roles. */
export const GUIDE_ROLES = {
  admin: { permissions: ['mcp:*:*', 'admin:*:*', 'server:*:*'] },
  user: { permissions: ['mcp:tools:call', 'mcp:resources:read', 'mcp:prompts:generate'] },
  readonly: { permissions: ['mcp:tools:list', 'mcp:resources:list', 'mcp:prompts:list'] },
};

/**
 * Used when no config file is given or found: a loopback-only hub with the
 * demo upstream and the shipped bundle. Authentication is off, so the hub
 * refuses any non-loopback address; anonymous callers get the `user` role.
 */
export function embeddedDefaultConfig(): HatagoConfig {
  return {
    mcpServers: {
      demo: { command: process.execPath, args: [packagePath('dist', 'demo', 'demo-server.js')] },
    },
    http: { host: '127.0.0.1', port: 3000 },
    policies: { bundle: DEFAULT_BUNDLE_PATH },
    security: {
      authentication: { enabled: false },
      authorization: { enabled: true, roles: GUIDE_ROLES, defaultRole: 'user' },
      network: {},
    },
  };
}
