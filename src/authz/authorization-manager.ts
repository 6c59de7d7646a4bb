import type { AuthorizationConfig, HatagoConfig } from '../config/types.js';
import { DEFAULT_BUNDLE_PATH, GUIDE_ROLES } from '../config/default-config.js';
import type { CallerContext, Principal } from '../hub/types.js';
import { permissionInput, requestInput } from '../pipeline/policy-input.js';
import type { PolicyDecider } from '../pipeline/policy-source.js';
import { PolicyEngine } from '../policy/index.js';
import { policyData } from '../server/policy-data.js';
import { HatagoError } from '../errors/index.js';
import { PROBE, permissionRequest } from './permission-request.js';

/** A user as the guide's examples pass it: an id, roles, and any other claims. */
export interface AuthorizationUser {
  id?: string;
  sub?: string;
  username?: string;
  roles?: string[];
  permissions?: string[];
  scope?: string[] | string;
  /** Servers this user may use: read by the shipped custom rule (hatago.custom, server_specific) and the guide's addRule example. */
  allowedServers?: string[];
  [claim: string]: unknown;
}

/**
 * A JavaScript rule (addRule): asked after the policy allowed, with the user,
 * the permission as asked (`resource`, e.g. `server:filesystem:tools:call`)
 * and its action segment (`call`; `*` when absent). Only `true` keeps the
 * allow; anything else (false, a rejection) denies.
 */
export type AuthorizationRule = (user: AuthorizationUser, resource: string, action: string) => boolean | Promise<boolean>;

/** checkPermission's answer with its reasons (rules `rbac.*`, `custom.*` from Rego, `custom-js.<name>` from addRule). */
export interface PermissionDecision {
  allow: boolean;
  reasons: { rule: string; message: string }[];
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
 * checkPermission is a decision of the same compiled policy the hub enforces
 * (the request stage for a permission that is one MCP request, else the
 * stage "permission"). Custom rules belong in Rego (hatago.custom), where
 * they apply to the hub too; addRule's JavaScript rules run after the policy
 * on this manager only, and can only narrow its answer.
 */
export class AuthorizationManager {
  private engine: Promise<PolicyDecider> | undefined;
  private readonly rules = new Map<string, AuthorizationRule>();

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

  /**
   * Adds (or, for the same name, replaces) a JavaScript rule. Rules run in the
   * order added, after the policy allowed; the first that does not return
   * true denies with reason `custom-js.<name>`. Prefer Rego (hatago.custom).
   */
  addRule(name: string, rule: AuthorizationRule): this {
    if (typeof name !== 'string' || name === '') throw new HatagoError('ERR_INVALID_PARAMS', { message: 'addRule: name must be a non-empty string' });
    if (typeof rule !== 'function') throw new HatagoError('ERR_INVALID_PARAMS', { message: `addRule: rule "${name}" must be a function` });
    this.rules.set(name, rule);
    return this;
  }

  /** Whether `user` holds `resource` (e.g. `server:filesystem:tools:call`, `admin:servers:manage`). */
  async checkPermission(user: AuthorizationUser, resource: string): Promise<boolean> {
    return (await this.decidePermission(user, resource)).allow;
  }

  /** checkPermission with the reasons: the policy's decision, then the JavaScript rules. Throws ERR_INVALID_PARAMS outside the grammar. */
  async decidePermission(user: AuthorizationUser, resource: string): Promise<PermissionDecision> {
    const req = permissionRequest(resource);
    const engine = await this.load();
    const ctx = contextFor(user);
    const decision = engine.decide(req ? requestInput(ctx, req) : permissionInput(ctx, resource));
    if (decision.allow !== true) return { allow: false, reasons: decision.reasons };
    if (req?.candidates && !(decision.visible ?? []).includes(PROBE)) {
      return { allow: false, reasons: [{ rule: 'rbac.visible', message: `the policy shows the caller no item for ${resource}` }] };
    }
    const action = actionOf(resource);
    for (const [name, rule] of this.rules) {
      let verdict: unknown;
      try {
        verdict = await rule(user, resource, action);
      } catch (err) {
        return { allow: false, reasons: [{ rule: `custom-js.${name}`, message: `rule threw: ${err instanceof Error ? err.message : String(err)}` }] };
      }
      if (verdict !== true) return { allow: false, reasons: [{ rule: `custom-js.${name}`, message: `rule ${name} returned ${String(verdict)} for ${resource}` }] };
    }
    return { allow: true, reasons: [] };
  }
}

/** The action segment of a permission: third of mcp/admin forms, fourth of the server form; `*` when absent. */
function actionOf(resource: string): string {
  const parts = resource.split(':');
  return (parts[0] === 'server' ? parts[3] : parts[2]) ?? '*';
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
