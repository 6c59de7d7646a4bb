// The request lifecycle, written down once. docs/lifecycle.md draws it, and
// a test keeps the two in step. HTTP stages run once per HTTP request; MCP
// stages run once per JSON-RPC request inside it, before anything is
// forwarded or answered. The first failing stage ends the request.

export interface StageSpec {
  name: string;
  scope: 'http' | 'mcp';
  /** What the stage does, in one line. */
  does: string;
  /** Error codes the stage can end a request with (see docs/errors.md). */
  fails: readonly string[];
}

export const LIFECYCLE: readonly StageSpec[] = [
  { name: 'network', scope: 'http', does: 'client address and Origin checked by the policy (stage "network"), before the body is read', fails: ['ERR_NETWORK_DENIED', 'ERR_ORIGIN_DENIED', 'ERR_POLICY_EVALUATION'] },
  { name: 'authentication', scope: 'http', does: 'Bearer JWT verified with jose, then its jti against the revoked tokens; no token verification for a denied client', fails: ['ERR_UNAUTHENTICATED', 'ERR_TOKEN_INVALID', 'ERR_TOKEN_EXPIRED', 'ERR_REVOCATION_UNAVAILABLE'] },
  { name: 'validation', scope: 'http', does: 'the body is read once and checked before anything reads it: content type, size, UTF-8, JSON, depth and size limits, JSON-RPC envelope, params of the method', fails: ['ERR_UNSUPPORTED_MEDIA_TYPE', 'ERR_BODY_TOO_LARGE', 'ERR_PARSE', 'ERR_LIMIT_EXCEEDED', 'ERR_INVALID_REQUEST', 'ERR_MALFORMED_PARAMS'] },
  { name: 'transport', scope: 'http', does: 'Streamable HTTP framing: session, protocol revision; 2026-07-28 Mcp-Method and Mcp-Name headers must match the body; a new session only within the session_limits of its initialize decision', fails: ['ERR_INVALID_REQUEST', 'ERR_SESSION_REQUIRED', 'ERR_HEADER_MISMATCH', 'ERR_SESSION_NOT_FOUND', 'ERR_SESSION_LIMIT'] },
  { name: 'policy', scope: 'mcp', does: 'the exposed name is resolved to its upstream and the policy decides the request (stage "request"), validation rules included; lists are filtered', fails: ['ERR_PERMISSION_DENIED', 'ERR_POLICY_EVALUATION', 'ERR_VALIDATION_FAILED'] },
  { name: 'rate-limit', scope: 'mcp', does: 'the limits the policy decision names are counted (sliding windows, in memory or Redis); all must have budget left', fails: ['ERR_RATE_LIMITED', 'ERR_RATE_LIMIT_UNAVAILABLE', 'ERR_POLICY_EVALUATION'] },
  { name: 'routing', scope: 'mcp', does: 'a name that resolves to no upstream is refused only now, so a denied caller learns nothing of what exists', fails: ['ERR_METHOD_NOT_FOUND', 'ERR_UNKNOWN_TOOL', 'ERR_UNKNOWN_PROMPT', 'ERR_UNKNOWN_RESOURCE'] },
  { name: 'arguments', scope: 'mcp', does: 'tools/call arguments checked against the upstream tool\'s own inputSchema; invalid ones never reach the upstream', fails: ['ERR_INVALID_ARGUMENTS', 'ERR_UPSTREAM_ERROR'] },
  { name: 'breaker', scope: 'mcp', does: 'the upstream\'s circuit breaker admits the call (closed, or a half-open trial) or refuses it without touching the upstream', fails: ['ERR_CIRCUIT_OPEN'] },
  { name: 'forward', scope: 'mcp', does: 'the request goes to the upstream with progress, cancellation and relays; its answer is checked against the method\'s result schema', fails: ['ERR_UPSTREAM_UNAVAILABLE', 'ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_ERROR'] },
] as const;
