// The hub's security sections of bench/hub.mjs's variants (and bench/profile-hub.mjs's): on = JWT + RBAC +
// three rate limits + audit trail; on-audit-off; on-audit-rl-off; off.
export const SECRET = 'bench-secret-of-at-least-thirty-two-bytes-0123456789';

/** The hub's security section per variant; "off" still evaluates the (permissive) policy on every request. */
export function security(variant) {
  if (variant === 'off') return { authentication: { enabled: false }, authorization: { enabled: false }, rateLimit: { enabled: false }, audit: { enabled: false } };
  const high = 1_000_000_000; // never reached: a 429 would stop the bench
  return {
    authentication: { enabled: true, type: 'jwt', secret: '${HATAGO_AUTH_SECRET}', algorithms: ['HS256'], issuer: 'hatago-hub', audience: ['mcp-clients'] },
    authorization: { enabled: true, defaultRole: 'readonly', roles: { user: { permissions: ['mcp:tools:call', 'mcp:tools:list'] }, readonly: { permissions: ['mcp:tools:list'] } } },
    rateLimit: variant === 'on-audit-rl-off' ? { enabled: false } : {
      enabled: true,
      rules: [
        { name: 'global', windowMs: 60000, max: high, keyGenerator: 'ip' },
        { name: 'per-user', windowMs: 60000, max: high, keyGenerator: 'user' },
        { name: 'tool-calls', windowMs: 60000, max: high, keyGenerator: 'user', filter: 'mcp:tools:call' },
      ],
    },
    audit: { enabled: variant === 'on' },
  };
}
