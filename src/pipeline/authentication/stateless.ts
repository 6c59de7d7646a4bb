// A 2026-07-28 request without a session is authenticated and decided in the same HTTP request: its decision
// record (permission_granted / permission_denied / approval_requested) carries the authentication
// (metadata.verified), so the trail holds one record per decision instead of authentication_success
// plus the decision for every call (docs/audit.md).
import type { IncomingHttpHeaders } from 'node:http';
import type { CallerContext } from '../../hub/types.js';

/** The stateless revision; equal to src/hub/server-info.ts MODERN_PROTOCOL_VERSION (test/audit/records-per-call.test.ts). */
export const STATELESS_REVISION = '2026-07-28';

/** How callers prove who they are, as the audit trail names it. */
export type AuthenticationMethod = 'jwt' | 'oauth2';

/** A request the authentication stage leaves to its decision record: no Mcp-Session-Id, the stateless revision. */
export function authenticatedInDecision(headers: IncomingHttpHeaders): boolean {
  return headers['mcp-session-id'] === undefined && headers['mcp-protocol-version'] === STATELESS_REVISION;
}

/** The caller side of the same: a stateless HTTP request of a verified caller. */
export function decisionCarriesAuthentication(ctx: Pick<CallerContext, 'transport' | 'sessionId' | 'protocolVersion' | 'principal'>): boolean {
  return ctx.transport === 'http' && ctx.sessionId === undefined && ctx.protocolVersion === STATELESS_REVISION && ctx.principal !== null;
}
