// The one table of hatago's error codes. Codes are public API: clients and
// dashboards switch on them, docs/errors.md lists them, and a test keeps the
// two in step. Add a code here and in docs/errors.md together.

/** JSON-RPC 2.0 reserved codes, plus the MCP/hatago server-defined range. */
export const JsonRpc = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  // Server-defined range (-32000..-32099) used by hatago.
  UNAUTHENTICATED: -32001,
  // MCP 2026-07-28 HeaderMismatch: Mcp-Method / Mcp-Name / MCP-Protocol-Version disagree with the body.
  HEADER_MISMATCH: -32020,
  FORBIDDEN: -32003,
  RATE_LIMITED: -32029,
  UPSTREAM_UNAVAILABLE: -32010,
  UPSTREAM_ERROR: -32011,
  UPSTREAM_TIMEOUT: -32012,
  POLICY_ERROR: -32050,
  VALIDATION_FAILED: -32602,
} as const;

export interface ErrorSpec {
  /** HTTP status when the error ends an HTTP exchange. */
  readonly status: number;
  /** JSON-RPC error code in the response body. */
  readonly rpc: number;
  /** Generic, client-safe message. Details go to the log, not to the client. */
  readonly message: string;
}

export const ERROR_CODES = {
  // Envelope and transport
  ERR_PARSE: { status: 400, rpc: JsonRpc.PARSE_ERROR, message: 'Parse error: the body is not valid JSON' },
  ERR_INVALID_REQUEST: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Invalid JSON-RPC request' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, rpc: JsonRpc.INVALID_REQUEST, message: 'Content-Type must be application/json' },
  ERR_NOT_ACCEPTABLE: { status: 406, rpc: JsonRpc.INVALID_REQUEST, message: 'Accept must include application/json and text/event-stream' },
  ERR_BODY_TOO_LARGE: { status: 413, rpc: JsonRpc.INVALID_REQUEST, message: 'Request body too large' },
  ERR_LIMIT_EXCEEDED: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Request exceeds a structural limit (depth, string length, array or object size)' },
  ERR_MALFORMED_PARAMS: { status: 400, rpc: JsonRpc.INVALID_PARAMS, message: 'Invalid params: they do not match the method\'s schema' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, rpc: JsonRpc.INVALID_REQUEST, message: 'Method not allowed' },
  ERR_SESSION_REQUIRED: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Bad Request: Mcp-Session-Id header is required' },
  ERR_SESSION_NOT_FOUND: { status: 404, rpc: JsonRpc.INVALID_REQUEST, message: 'Session not found' },
  ERR_HEADER_MISMATCH: { status: 400, rpc: JsonRpc.HEADER_MISMATCH, message: 'Bad Request: the request headers and body disagree' },
  ERR_SESSION_LIMIT: { status: 429, rpc: JsonRpc.RATE_LIMITED, message: 'Too many open sessions: end one (DELETE /mcp) or wait for one to expire' },
  ERR_SESSION_STORE_UNAVAILABLE: { status: 503, rpc: JsonRpc.INTERNAL_ERROR, message: 'Session index unavailable: the session cannot be checked, request refused (fail closed)' },
  ERR_UNSUPPORTED_PROTOCOL_VERSION: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Unsupported protocol version' },
  ERR_METHOD_NOT_FOUND: { status: 200, rpc: JsonRpc.METHOD_NOT_FOUND, message: 'Method not found' },
  ERR_INVALID_PARAMS: { status: 200, rpc: JsonRpc.INVALID_PARAMS, message: 'Invalid params' },
  ERR_UNKNOWN_TOOL: { status: 200, rpc: JsonRpc.INVALID_PARAMS, message: 'Unknown tool' },
  ERR_UNKNOWN_PROMPT: { status: 200, rpc: JsonRpc.INVALID_PARAMS, message: 'Unknown prompt' },
  ERR_UNKNOWN_RESOURCE: { status: 200, rpc: JsonRpc.INVALID_PARAMS, message: 'Unknown resource' },
  ERR_INVALID_ARGUMENTS: { status: 200, rpc: JsonRpc.INVALID_PARAMS, message: 'Invalid arguments: they do not match the tool\'s input schema' },

  // Network, identity, access
  ERR_NETWORK_DENIED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: client address not allowed' },
  ERR_CLIENT_BLOCKED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: client address blocked after suspicious activity' },
  ERR_ORIGIN_DENIED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: origin not allowed' },
  ERR_UNAUTHENTICATED: { status: 401, rpc: JsonRpc.UNAUTHENTICATED, message: 'Authentication required' },
  ERR_TOKEN_INVALID: { status: 401, rpc: JsonRpc.UNAUTHENTICATED, message: 'Invalid token' },
  ERR_TOKEN_EXPIRED: { status: 401, rpc: JsonRpc.UNAUTHENTICATED, message: 'Token expired' },
  ERR_LOGIN_FAILED: { status: 401, rpc: JsonRpc.UNAUTHENTICATED, message: 'Login failed: invalid username or password' },
  ERR_LOGIN_REQUEST_INVALID: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Invalid login request: the body must be a JSON object with string username and password, and an optional scope' },
  ERR_TOKEN_NOT_REVOCABLE: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'This token has no jti: it cannot be revoked or refreshed' },
  ERR_REVOCATION_UNAVAILABLE: { status: 503, rpc: JsonRpc.INTERNAL_ERROR, message: 'Token revocation store unavailable: request refused (fail closed)' },
  // OAuth 2.0 resource server (docs/oauth2.md)
  ERR_INSUFFICIENT_SCOPE: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: the access token lacks a required scope' },
  ERR_AUTH_PROVIDER_UNAVAILABLE: { status: 503, rpc: JsonRpc.UNAUTHENTICATED, message: 'Authorization server unavailable: the token could not be validated (fail closed)' },
  ERR_PERMISSION_DENIED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: permission denied by policy' },
  ERR_POLICY_EVALUATION: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: policy could not decide (fail closed)' },
  ERR_VALIDATION_FAILED: { status: 200, rpc: JsonRpc.VALIDATION_FAILED, message: 'Request refused by a validation rule' },
  ERR_PIN_STORE_UNAVAILABLE: { status: 503, rpc: JsonRpc.INTERNAL_ERROR, message: 'Pin store unavailable or unreadable' },
  ERR_DEFINITION_NOT_APPROVED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: this definition is not approved (it changed since it was pinned, or is held for review)' },
  // Approval as a policy outcome (docs/approvals.md)
  ERR_APPROVAL_REQUIRED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: this request needs an approval, which cannot be asked for here' },
  ERR_APPROVAL_DENIED: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: the call was not approved' },
  ERR_APPROVAL_TIMEOUT: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: no approval arrived in time' },
  ERR_APPROVAL_LIMIT: { status: 429, rpc: JsonRpc.RATE_LIMITED, message: 'Too many calls are waiting for approval: wait for one to be decided' },
  ERR_APPROVAL_NOT_FOUND: { status: 404, rpc: JsonRpc.INVALID_REQUEST, message: 'No pending approval has this id (decided, expired or never held)' },
  ERR_FLOW_STORE_UNAVAILABLE: { status: 503, rpc: JsonRpc.INTERNAL_ERROR, message: 'Flow history store unavailable: request refused (fail closed)' },
  ERR_APPROVAL_REQUEST_INVALID: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Invalid approval decision: the body must be a JSON object with decision "approve" or "deny" and an optional note' },

  // Security console (docs/console.md)
  ERR_CONSOLE_CSRF: { status: 403, rpc: JsonRpc.FORBIDDEN, message: 'Forbidden: a console action must come from the console\'s own origin with the CSRF token of its session' },
  ERR_CONSOLE_NOT_FOUND: { status: 404, rpc: JsonRpc.INVALID_REQUEST, message: 'Not found: no such decision, candidate bundle or pin' },
  ERR_CONSOLE_REQUEST_INVALID: { status: 400, rpc: JsonRpc.INVALID_REQUEST, message: 'Invalid console request' },
  ERR_CONSOLE_STREAM_LIMIT: { status: 429, rpc: JsonRpc.RATE_LIMITED, message: 'Too many console streams open: close one and retry' },
  ERR_CONSOLE_CANDIDATE_INVALID: { status: 422, rpc: JsonRpc.INVALID_REQUEST, message: 'The candidate bundle could not be loaded' },

  // Traffic control
  ERR_RATE_LIMITED: { status: 429, rpc: JsonRpc.RATE_LIMITED, message: 'Rate limit exceeded' },
  ERR_RATE_LIMIT_UNAVAILABLE: { status: 503, rpc: JsonRpc.RATE_LIMITED, message: 'Rate limit store unavailable' },
  ERR_CIRCUIT_OPEN: { status: 503, rpc: JsonRpc.UPSTREAM_UNAVAILABLE, message: 'Upstream server unavailable (circuit open)' },

  // Upstreams
  ERR_UPSTREAM_UNAVAILABLE: { status: 200, rpc: JsonRpc.UPSTREAM_UNAVAILABLE, message: 'Upstream server unavailable' },
  ERR_UPSTREAM_TIMEOUT: { status: 200, rpc: JsonRpc.UPSTREAM_TIMEOUT, message: 'Upstream server timed out' },
  ERR_UPSTREAM_ERROR: { status: 200, rpc: JsonRpc.UPSTREAM_ERROR, message: 'Upstream server error' },
  ERR_CLIENT_CAPABILITY: { status: 200, rpc: JsonRpc.INVALID_REQUEST, message: 'The client cannot serve this upstream request' },

  // Runtime
  ERR_INTERNAL: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Internal error' },
  ERR_AUDIT_UNAVAILABLE: { status: 503, rpc: JsonRpc.INTERNAL_ERROR, message: 'Audit trail unavailable: request refused (fail closed)' },
  ERR_DRAINING: { status: 503, rpc: JsonRpc.INTERNAL_ERROR, message: 'This replica is shutting down: retry on another' },

  // Start-up (CLI exit 1, never sent to a client)
  ERR_CONFIG_NOT_FOUND: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Config file not found' },
  ERR_CONFIG_INVALID: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Config is invalid' },
  ERR_CONFIG_ENV_MISSING: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Config references an unset environment variable' },
  ERR_CONFIG_FROM_ENV: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'No config in the environment (set HATAGO_CONFIG or HATAGO_CONFIG_FILE)' },
  ERR_CONFIG_KEY_MISSING: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Config is encrypted and no key was given' },
  ERR_CONFIG_KEY_INVALID: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Config encryption key is malformed or too short' },
  ERR_CONFIG_DECRYPT: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Config could not be decrypted (wrong key, tampered or malformed file)' },
  ERR_OUTPUT_EXISTS: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Output file exists (pass --force to overwrite)' },
  ERR_TLS_CONFIG: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'TLS certificate, key or settings could not be loaded' },
  ERR_BUNDLE_NOT_FOUND: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Policy bundle not found' },
  ERR_BUNDLE_INVALID: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Policy bundle is invalid' },
  ERR_BUNDLE_SIGNATURE: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Policy bundle signature is missing or does not verify' },
  ERR_CLUSTER_REDIS_UNREACHABLE: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'cluster.enabled: the Redis at cluster.redis does not answer' },
  ERR_PORT_IN_USE: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Port already in use' },
  ERR_AUTH_DISABLED_NON_LOOPBACK: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Authentication is disabled: refusing to bind to a non-loopback address' },
  ERR_NAME_COLLISION: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Two upstream servers expose the same name' },

  // Policy workflow CLI (`hatago policy ...`, exit 1, never sent to a client)
  ERR_OPA_NOT_FOUND: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'OPA CLI not found: run npm run opa:install or set HATAGO_OPA' },
  ERR_POLICY_INPUT_INVALID: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'Policy input or replay file is missing or not valid JSON' },
  ERR_POLICY_TOOL_FAILED: { status: 500, rpc: JsonRpc.INTERNAL_ERROR, message: 'A policy tool (opa or a policy script) failed' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
