import type { AuthorizationConfig, HatagoConfig } from '../config/types.js';
import { DEFAULT_BUNDLE_PATH, GUIDE_ROLES } from '../config/default-config.js';
import type { CallerContext, Principal } from '../hub/types.js';
import { requestInput } from '../pipeline/policy-input.js';
import type { PolicyDecider } from '../pipeline/policy-source.js';
import { PolicyEngine } from '../policy/index.js';
import { policyData } from '../server/policy-data.js';
import { PROBE, permissionRequest } from './permission-request.js';

/** A user as the guide's examples pass it: an id, roles, and any other claims. */
export interface AuthorizationUser {
  id?: string;
  sub?: string;
  username?: string;
  roles?: string[];
  permissions?: string[];
  scope?: string[] | string;
  [claim: string]: unknown;
}

export interface AuthorizationManagerOptions {
  /** An engine already loaded (the hub's). */
  engine?: PolicyDecider;
  /** Bundle to load; default the shipped one. */
  bundle?: string;
  /** `security.authorization`; default the guide's roles with defaultRole readonly. */
  authorization?: AuthorizationConfig;
  /** The whole `security` section, when there is one (network etc. are ignored here). */
  security?: HatagoConfig['security'];
}

/**
 * The guide's AuthorizationManager. It decides nothing itself: every
 * checkPermission is a request-stage decision of the same compiled policy
 * the hub enforces. Custom rules are Rego (policies/rego/hatago/custom),
 * not JavaScript callbacks, so there is no addRule here.
 */
export class AuthorizationManager {
  private engine: Promise<PolicyDecider> | undefined;

  constructor(private readonly opts: AuthorizationManagerOptions = {}) {
    if (opts.engine) this.engine = Promise.resolve(opts.engine);
  }

  private load(): Promise<PolicyDecider> {
    this.engine ??= PolicyEngine.load(this.opts.bundle ?? DEFAULT_BUNDLE_PATH, {
      runtimeData: policyData({
        mcpServers: {},
        http: { host: '127.0.0.1', port: 0 },
        policies: { bundle: '' },
        security: {
          ...this.opts.security,
          authentication: { enabled: true },
          authorization: this.opts.authorization ?? this.opts.security?.authorization ?? { enabled: true, roles: GUIDE_ROLES, defaultRole: 'readonly' },
        },
      }),
    });
    return this.engine;
  }

  /** Whether `user` holds `resource` (e.g. `server:filesystem:tools:call`), as the policy decides. */
  async checkPermission(user: AuthorizationUser, resource: string): Promise<boolean> {
    const engine = await this.load();
    const req = permissionRequest(resource);
    const decision = engine.decide(requestInput(contextFor(user), req));
    if (decision.allow !== true) return false;
    return req.candidates ? (decision.visible ?? []).includes(PROBE) : true;
  }
}

function contextFor(user: AuthorizationUser): CallerContext {
  const { id, sub, username, roles, permissions, scope, ...claims } = user;
  const principal: Principal = {
    sub: sub ?? id ?? 'anonymous',
    ...(username !== undefined && { username }),
    roles: Array.isArray(roles) ? roles : [],
    ...(Array.isArray(permissions) && { permissions }),
    ...(scope !== undefined && { scope: Array.isArray(scope) ? scope : String(scope).split(' ') }),
    claims: { ...claims, ...(username !== undefined && { username }) },
  };
  return { transport: 'stdio', protocolVersion: '2025-11-25', client: { ip: null, origin: null, userAgent: null }, principal };
}
