import type { LogWriter } from '../log/logger.js';
import type { ClientRelay, ProgressUpdate } from '../upstreams/types.js';

/** Who is calling, as established by the network and authentication stages. */
export interface Principal {
  sub: string;
  username?: string;
  roles: string[];
  /** Token `permissions` claim, if present (narrows what roles grant). */
  permissions?: string[];
  /** Token `scope` claim as a list, if present (narrows further). */
  scope?: string[];
  sessionId?: string;
  /** Other verified claims, passed to the policy as they are. */
  claims: Record<string, unknown>;
}

export interface ClientInfo {
  /** Effective client address (socket, or X-Forwarded-For from a trusted proxy). */
  ip: string | null;
  origin: string | null;
  userAgent: string | null;
}

/**
 * Everything the hub knows about one downstream request's caller.
 * Built by the transport (HTTP or stdio) and the pipeline stages.
 */
export interface CallerContext {
  transport: 'http' | 'stdio';
  /** Revision this client speaks: '2025-11-25' (sessions) or '2026-07-28' (stateless). */
  protocolVersion: string;
  client: ClientInfo;
  principal: Principal | null;
  /** Downstream MCP session id (2025-11-25 HTTP only). */
  sessionId?: string;
  /** Relay for upstream→client requests; absent when the client cannot take them. */
  relay?: ClientRelay;
  /** Sends a progress notification to this caller for the current request. */
  onProgress?: (p: ProgressUpdate) => void;
  /** Aborted when the client cancels the request or goes away. */
  signal?: AbortSignal;
  /** HTTP headers the MCP stages add to this request's answer (e.g. X-RateLimit-*). */
  responseHeaders?: Record<string, string>;
  /** The trace context this request's spans are children of (src/telemetry), when traces are on. */
  trace?: unknown;
  /** The policy's decision on this request, once asked (the transport reads e.g. session_limits). */
  decision?: GuardResult;
  /**
   * Key under which this client is connected to the hub for notifications
   * (`Hub.connect`): the HTTP session id, or the stdio connection. Absent for
   * stateless (2026-07-28) clients, which cannot subscribe.
   */
  connectionId?: string;
}

/** One item a list method may show; `name` is the exposed (namespaced) name or URI. */
export interface ListCandidate {
  server: string;
  kind: 'tool' | 'prompt' | 'resource' | 'resourceTemplate';
  /** Upstream-local name (or URI / URI template). */
  name: string;
  /** Exposed name (or URI) the client sees. */
  exposed: string;
  /** Tools, prompts, resource templates: the definition compared with its pin (src/pinning). */
  definition?: DefinitionFact;
}

/** `definition` in the policy input (docs/policy-contract.md, "Contract 2: definition facts"). */
export interface DefinitionFact {
  /** pinned: an operator approved this digest; new: not approved (recorded on first sight); changed: differs from the pin. */
  status: 'pinned' | 'new' | 'changed';
  /** The digest in the pin store; null when nothing is recorded (store full). */
  pinned_digest: string | null;
  /** sha256 of the canonical JSON of the definition the upstream offers now. */
  digest: string;
  /** The description as offered now, for rules that read it; null when pinned (approved text is not scanned). */
  description: string | null;
  /** Exposed names of other servers' tools that the description names (tools only). */
  mentions: string[];
}

/** The request as the policy sees it (see docs/policy-contract.md). */
export interface GuardRequest {
  method: string;
  /** completion/complete: what is being completed. */
  kind?: 'prompt' | 'resource' | 'resourceTemplate';
  /** Upstream server the request targets, when it targets one. */
  server?: string;
  /** Upstream-local item name (tool, prompt) or URI (resource). */
  name?: string;
  /** Exposed name the client used. */
  exposed?: string;
  arguments?: Record<string, unknown>;
  /** The params as the client sent them, for requests the hub forwards upstream (the policy drops `_meta`). */
  params?: Record<string, unknown>;
  /** For list methods: every item that could be shown. */
  candidates?: ListCandidate[];
  /** tools/call, prompts/get: the target's definition facts, when pinning is on. */
  definition?: DefinitionFact;
  /** tools/call: the tool's annotations as its upstream declares them (an upstream's claim, not a fact). */
  annotations?: Record<string, unknown>;
  /** admin/approvals/decide: the held call being decided (who may approve it is the policy's to say). */
  approval?: { id: string; approvers: string[]; requested_by: string | null; server: string; name: string | null };
}

export interface GuardResult {
  decisionId: string;
  /** Revision of the policy that decided. */
  revision?: string;
  /** The policy's whole decision object, for later stages (rate limits). */
  output?: unknown;
  /** For list methods: exposed names the caller may see. */
  visible?: Set<string>;
  /** Contract 2: the call is held until approved (the approval stage). */
  approval?: import('../policy/types.js').ApprovalRequest;
  /** Contract 2, tools/call: labels for the session's flow history (the history stage). */
  flowLabels?: string[];
}

/**
 * The policy stage as the hub sees it. `check` throws HatagoError
 * (ERR_PERMISSION_DENIED, ERR_POLICY_EVALUATION, ...) when the request must
 * not go on. The hub never decides allow/deny itself.
 */
export interface RequestGuard {
  check(ctx: CallerContext, req: GuardRequest, opts?: GuardCheckOptions): Promise<GuardResult>;
}

export interface GuardCheckOptions {
  /** A later stage reports a denial itself after counting it (the rate-limit stage); per call, never a mode of the guard. */
  deferDenialReport?: boolean;
  /**
   * The caller runs the approval stage: a decision that asks for approval is
   * returned (with `approval`) instead of thrown. Everywhere else it is the
   * deny it says (ERR_APPROVAL_REQUIRED).
   */
  holdForApproval?: boolean;
}

// ---------------------------------------------------------------------------
// Hub-facing contracts (owned by the hub; transports and the lead wire them).

/** Minimal structured logger (winston's logger fits it). */
export type HubLogger = LogWriter;

/** One JSON-RPC request as the hub receives it (already parsed once by the transport). */
export interface HubRequest {
  method: string;
  params?: Record<string, unknown> | undefined;
  id?: string | number | null;
}

/**
 * Where the hub sends server→client notifications for one connected
 * downstream client (a 2025-11-25 session, or the stdio peer).
 */
export interface ClientSink {
  notify(method: string, params?: Record<string, unknown>): void;
  /** false while nothing can reach the client (a session without an open stream): the hub skips it. */
  readonly listening?: boolean;
  /** Minimum level of forwarded log messages (logging/setLevel, an index into the MCP levels; 0: all). */
  logLevel: number;
  /**
   * Set while another replica holds the client's stream: the hub hands the
   * notification over as it is, and that replica's hub decides it for the
   * stream's principal (Hub.deliverFromReplica).
   */
  readonly elsewhere?: ((servers: readonly string[], method: string, params?: Record<string, unknown>) => void) | undefined;
}

/** The set of upstreams the hub fronts. UpstreamManager satisfies it; so does a plain array wrapper. */
export interface UpstreamSource {
  list(): readonly import('../upstreams/types.js').Upstream[];
}
