// The start-up summary: one line saying how the hub is exposed (auth, TLS,
// upstreams) and what a caller without roles can see, plus a warning when
// nobody can see any tool. Visibility is asked of the policy (a tools/list
// decision over every candidate), never judged here.
import { GUIDE_ROLES } from '../config/default-config.js';
import type { HatagoConfig } from '../config/types.js';
import { buildCatalog } from '../hub/catalog.js';
import type { CallerContext, ListCandidate, Principal } from '../hub/types.js';
import { requestInput } from '../pipeline/policy-input.js';
import type { PolicyDecider } from '../pipeline/policy-source.js';
import type { Upstream } from '../upstreams/types.js';

export interface StartupSummary {
  line: string;
  /** Set when no caller (role-less, anonymous, or any configured role) sees a tool. */
  warning?: string;
}

/** `off`, `jwt` or `oauth2`. */
export function authMode(config: HatagoConfig): string {
  const a = config.security.authentication;
  return a === undefined || a.enabled === false ? 'off' : (a.type ?? 'jwt');
}

/** `off`, `on`, or `mutual` (client certificates required). */
export function tlsMode(config: HatagoConfig): 'off' | 'on' | 'mutual' {
  const ssl = config.http.ssl;
  if (ssl?.enabled !== true) return 'off';
  return ssl.ca !== undefined && ssl.requestCert !== false ? 'mutual' : 'on';
}

function visibleTools(engine: PolicyDecider, transport: CallerContext['transport'], principal: Principal | null, candidates: ListCandidate[]): number {
  const ctx: CallerContext = { transport, protocolVersion: '2025-11-25', client: { ip: null, origin: null, userAgent: null }, principal };
  const d = engine.decide(requestInput(ctx, { method: 'tools/list', candidates }));
  return d.allow === true ? (d.visible ?? []).length : 0;
}

export function startupSummary(opts: { config: HatagoConfig; engine: PolicyDecider; upstreams: Upstream[]; stdio: boolean }): StartupSummary {
  const { config, engine, upstreams, stdio } = opts;
  const transport = stdio ? 'stdio' : 'http';
  const catalog = buildCatalog(upstreams.map((u) => ({ id: u.id, config: u.config, catalog: u.catalog() })), { onCollision: 'keep-first' });
  const candidates = catalog.tools.candidates;
  const auth = authMode(config);
  const who = auth === 'off' ? 'an anonymous caller' : 'a caller whose token has no known role';
  // With authentication off every caller is anonymous; with it on, a token without roles gets defaultRole.
  const base: Principal | null = auth === 'off' ? null : { sub: 'startup-check', roles: [], claims: {} };
  const seen = visibleTools(engine, transport, base, candidates);
  const tls = tlsMode(config);
  const tlsText = stdio ? 'n/a (stdio)' : tls === 'mutual' ? 'on, mutual TLS (client certificates from http.ssl.ca required)' : tls;
  const defaultRole = config.security.authorization?.defaultRole;
  const line =
    `hatago ready: authentication ${auth}, TLS ${tlsText}, ${upstreams.length} upstream(s) with ${candidates.length} tool(s); ` +
    `${who} sees ${seen} of ${candidates.length} tool(s) (defaultRole ${defaultRole !== undefined ? `"${defaultRole}"` : 'not set'})`;
  if (candidates.length === 0 || seen > 0) return { line };
  const roles = auth === 'off' ? [] : Object.keys(config.security.authorization?.roles ?? GUIDE_ROLES);
  if (roles.some((r) => visibleTools(engine, transport, { sub: 'startup-check', roles: [r], claims: {} }, candidates) > 0)) return { line };
  return {
    line,
    warning:
      `WARNING: nobody can see any of the ${candidates.length} tool(s): the policy shows none to ${who}` +
      (auth === 'off' ? '' : ' nor to any configured role') +
      '. Set security.authorization.defaultRole (e.g. "readonly" to list, "user" to list and call) or give the roles the permissions they need (docs/policy-contract.md).',
  };
}
