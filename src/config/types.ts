import type { ClusterConfig } from './cluster.js';
// Shape of hatago.config.json. schema/hatago.config.schema.json is the
// validating twin of these types; change both together.

export interface ToolFilter {
  /** Name globs (`*`, `?`) of upstream-local tool names to expose. Default: all. */
  include?: string[];
  /** Name globs removed after `include`. */
  exclude?: string[];
}

export interface ServerConfig {
  // Local (stdio) upstream
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  // Remote upstream
  url?: string;
  /** `http` = Streamable HTTP, `sse` = legacy HTTP+SSE. Default `stdio` with command, `http` with url. */
  type?: 'stdio' | 'http' | 'sse';
  headers?: Record<string, string>;
  // Common
  disabled?: boolean;
  tags?: string[];
  /** Prefix of exposed names: `<prefix>_<name>`. Default: the server id. `""` means no prefix. */
  prefix?: string;
  tools?: ToolFilter;
  /** Per-call timeout towards this upstream, in ms. Default `upstreams.timeoutMs`. */
  timeoutMs?: number;
  /** Bytes one call's answer may carry (JSON body, SSE answer stream, stdio line). Default 16 MiB. */
  maxResponseBytes?: number;
  /** Speak this revision to the upstream instead of negotiating: 2026-07-28 statelessly, 2025-11-25 with a session. */
  protocolVersion?: '2025-11-25' | '2026-07-28';
}

export interface HttpConfig {
  host: string;
  port: number;
  /** The hub's public base URL as clients reach it (behind a proxy); the OAuth 2.0 resource defaults to it + /mcp. */
  publicUrl?: string;
  /** Open connections at most, all addresses together (0: no cap). Default 1024 (docs/server-limits.md). */
  maxConnections?: number;
  /** Open connections at most from one socket address (0: no cap). Default 64. */
  maxConnectionsPerIp?: number;
  /** Time to send the request headers. Default 10000. */
  headersTimeoutMs?: number;
  /** Time to send the whole request (not the response). Default 30000. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections close after this long. Default 5000. */
  keepAliveTimeoutMs?: number;
  /** A connection with no request in progress is closed after this long without data. Default 30000. */
  idleTimeoutMs?: number;
  /** On SIGTERM, in-flight requests get at most this long to finish before streams and sessions are closed. Default 15000. */
  drainTimeoutMs?: number;
  ssl?: {
    enabled: boolean;
    cert?: string;
    key?: string;
    ca?: string;
    /** Mutual TLS: require a client certificate issued by `ca`. Default true when `ca` is set. */
    requestCert?: boolean;
    protocols?: string[];
    ciphers?: string[];
  };
}

export interface PoliciesConfig {
  /** Path of the policy bundle (.tar.gz built by `opa build -t wasm`). */
  bundle: string;
  /** Candidate bundle evaluated beside the active one, never enforced (docs/policy-workflow.md). */
  shadow?: string;
  /** One JSON line per request decision, secrets masked. On when present, unless `enabled: false`. */
  decisionLog?: DecisionLogConfig;
  /** Hot reload of `bundle` when the file changes (docs/bundles.md). Default on, unless `service` is set. */
  watch?: { enabled?: boolean; debounceMs?: number };
  /** Pull the bundle from a server speaking OPA's bundle protocol (docs/bundles.md). */
  service?: BundleServiceConfig;
  /** Bundle signature verification (docs/bundles.md). */
  verification?: BundleVerificationSettings;
}

export interface BundleServiceConfig {
  /** URL of the bundle (.tar.gz). */
  url: string;
  /** Extra request headers, e.g. `Authorization: Bearer ${TOKEN}`. */
  headers?: Record<string, string>;
  /** Default 60. */
  pollingMinDelaySeconds?: number;
  /** Default 120. */
  pollingMaxDelaySeconds?: number;
  /** Ask for long polling (`Prefer: wait=N`); used when the server answers in kind. */
  longPollingTimeoutSeconds?: number;
  /** Per-request timeout of a plain poll. Default 30. */
  timeoutSeconds?: number;
}

export interface BundleVerificationSettings {
  /** Keys by key id. `key`: the HMAC secret (HS*) or a PEM public key / certificate (RS*, PS*, ES*). */
  keys: Record<string, { algorithm: string; key: string; scope?: string }>;
  /** Key id to use whatever the token says (OPA's `keyid`); default: the token's `kid` header, then its `keyid` claim. */
  keyId?: string;
  /** Scope the token must carry (default: the key's own `scope`, else none). */
  scope?: string;
  /** Default true: an unsigned bundle is rejected. With false it is accepted; a bad signature is always rejected. */
  required?: boolean;
}

export interface DecisionLogConfig {
  /** Default true. */
  enabled?: boolean;
  /** Default logs/decisions.log, relative to the working folder (like logging.file); `false`: no local file. */
  file?: string | false;
  /** Extra argument/field names whose values are masked. */
  maskedFields?: string[];
  /** Also ship each decision to an OPA-compatible decision-log service (docs/policy-workflow.md). */
  service?: DecisionLogServiceConfig;
}

/** OPA's decision-log service API: POSTs of gzipped JSON arrays to `url` + `resource`. Defaults in src/config/decision-log-service.ts. */
export interface DecisionLogServiceConfig {
  /** Base URL of the service (http or https). */
  url: string;
  /** Path appended to url, as OPA's `decision_logs.resource`. Default `/logs`. */
  resource?: string;
  /** Extra request headers, e.g. `Authorization: Bearer ${DECISION_LOG_TOKEN}`. */
  headers?: Record<string, string>;
  /** PEM CA certificates trusted for an https url instead of the system CAs. */
  caFile?: string;
  /** Extra OPA `labels` on every event (beside `id` and `version`). */
  labels?: Record<string, string>;
  /** Default 100. */
  batchMaxRecords?: number;
  /** Bytes of one POST's JSON array before gzip. Default 1048576. */
  batchMaxBytes?: number;
  /** Default 5000. */
  flushIntervalMs?: number;
  /** Default 10000. */
  maxBufferRecords?: number;
  /** Default 16777216. */
  maxBufferBytes?: number;
  /** Per POST. Default 10000. */
  timeoutMs?: number;
  /** Default 500. */
  retryMinDelayMs?: number;
  /** Default 60000. */
  retryMaxDelayMs?: number;
  /** Last flush on shutdown. Default 5000. */
  closeTimeoutMs?: number;
}

export interface AuthenticationConfig {
  enabled: boolean;
  type?: 'jwt' | 'oauth2';
  secret?: string;
  algorithms?: string[];
  expiresIn?: string;
  issuer?: string;
  audience?: string | string[];
  clockTolerance?: number;
  privateKeyPath?: string;
  publicKeyPath?: string;
  maxTokenBytes?: number;
  provider?: Record<string, unknown>;
  /** Who may log in at POST /auth/login (docs/token-endpoints.md). */
  users?: Record<string, LoginUserConfig>;
  /** Where revoked token ids live: `memory` (default) or a Redis URL shared by several hubs. */
  revocation?: { store?: string };
}

export interface LoginUserConfig {
  /** `scrypt$N=..,r=..,p=..$salt$key`, from `hatago user hash-password`; never a plain password. */
  passwordHash: string;
  roles?: string[];
  permissions?: string[];
  disabled?: boolean;
  /** Token `sub`; default the username. */
  id?: string;
}

export interface RoleConfig {
  permissions: string[];
}

export interface AuthorizationConfig {
  enabled: boolean;
  roles?: Record<string, RoleConfig>;
  defaultRole?: string;
}

export interface NetworkConfig {
  allowedIPs?: string[];
  blockedIPs?: string[];
  allowedDomains?: string[];
  trustedProxies?: string[];
  /** Paths every address may reach past the network rules (the policy decides; default: probes and RFC 9728 metadata). */
  openEndpoints?: string[];
  cors?: { enabled: boolean; origin?: string[]; credentials?: boolean };
}

/** One rate-limit rule (docs/rate-limits.md). The policy hatago.ratelimit reads it as data. */
export interface RateLimitRule {
  /** Unique rule name; it starts every counter key of the rule. */
  name: string;
  windowMs: number;
  /** Admits per window and key when no tier matches the caller. */
  max: number;
  /** Default `ip`. `user` falls back to the ip without a principal; `custom` needs a runtime key generator. */
  keyGenerator?: 'ip' | 'user' | 'user+ip' | 'custom';
  /** `*`, `method:<m>`, `mcp:<category>[:<action>]`, `server:<id>[:<category>[:<action>[:<item>]]]`, or a list (any). */
  filter?: string | string[];
  /** Max by role: the caller gets the highest value among its roles. */
  tiers?: Record<string, number>;
  /** Only requests to these upstream servers. */
  servers?: string[];
  /** Only tools/call of these upstream-local tool names (`*` patterns). */
  tools?: string[];
  /** Set by RateLimiter.addRule for a JavaScript filter evaluated by the runtime. */
  runtimeFilter?: boolean;
}

export interface RateLimitConfig {
  /** Default true. */
  enabled?: boolean;
  algorithm?: 'sliding-window';
  rules?: RateLimitRule[];
  /** Budgets of denied requests (same grammar); absent: the bundle's defaults, `[]`: none. */
  denialLimits?: RateLimitRule[];
  /** `memory` (default) or a `redis://` / `rediss://` URL shared by several hubs. */
  store?: string;
  /** When the Redis store is unreachable: true admits, false refuses (ERR_RATE_LIMIT_UNAVAILABLE). Default false. */
  failOpen?: boolean;
}

export type BreakerSeverityConfig = 'low' | 'medium' | 'high' | 'critical';

/** One `security.circuitBreaker.rules` entry; missing keys come from `default`, then the built-in values. */
export interface BreakerRuleConfig {
  failureThreshold?: number;
  resetTimeoutMs?: number;
  halfOpenMaxCalls?: number;
  /** Kind -> severity. `network` stands for `connection` when the rule has no `connection` entry. */
  errorClassification?: Partial<Record<'timeout' | 'connection' | 'network' | 'auth' | 'validation' | 'upstream_error' | 'protocol', BreakerSeverityConfig>>;
}

/** `security.circuitBreaker` (docs/circuit-breakers.md). */
export interface CircuitBreakerConfig {
  /** Default true. */
  enabled?: boolean;
  /** `default` and rules named after server tags. */
  rules?: Record<string, BreakerRuleConfig>;
}

/** security.validation (docs/validation.md). Structural limits for bodies; the rest is policy data. */
export interface ValidationConfig {
  maxBodyBytes?: number;
  maxDepth?: number;
  maxStringLength?: number;
  maxArrayItems?: number;
  maxObjectKeys?: number;
  maxToolNameLength?: number;
  maxArgumentBytes?: number | Record<string, number>;
  forbiddenPatterns?: Record<string, { name?: string; pattern: string; fields?: string[] }[]>;
}

/** `security.logging` (docs/logging.md): masking of every log line and audit record. */
export interface LoggingSecurityConfig {
  /** Default true. */
  sanitize?: boolean;
  /** Key-name fragments, matched case-insensitively anywhere in a key. Default: the guide's list. */
  maskedFields?: string[];
  customSanitizer?: { patterns?: string[] };
  /** Longer strings are cut before masking, with a length and sha256 marker. Default 4096. */
  maxStringLength?: number;
}

/** `security.audit` (docs/audit.md). */
export interface AuditTrailConfig {
  /** Default true. */
  enabled?: boolean;
  /** Default logs/audit.log under the working folder. */
  file?: string;
  /** Rotate once the file would pass this size. Default 50 MiB. */
  maxBytes?: number;
  /** Rotated files kept; older ones are deleted (the chain then starts at `<file>.anchor`). Default 10. */
  maxFiles?: number;
  /** Also delete rotated files last written longer ago than this. Default: no age limit. */
  maxAgeDays?: number;
  /** Past this size one record's large metadata values become {truncated, bytes, sha256} markers. Default 16384. */
  maxRecordBytes?: number;
  /** A second sink: every record, as written, shipped to a SIEM (docs/audit.md#shipping-to-a-siem). Default none. */
  siem?: SiemConfig;
}

/** `security.audit.siem`: syslog and/or HTTP JSON lines, batched, spooled on disk while the SIEM is away. */
export interface SiemConfig {
  /** RFC 5424 over TCP (octet-counted frames, RFC 6587), over TLS with `tls` (RFC 5425). */
  syslog?: {
    host: string;
    port: number;
    /** TLS on: `ca` (PEM file; default the system's CAs), `servername` (default `host` unless it is an address). */
    tls?: { ca?: string; servername?: string };
    /** APP-NAME. Default "hatago". */
    appName?: string;
    /** RFC 5424 facility name. Default "authpriv". */
    facility?: string;
  };
  /** POST of newline-delimited JSON records (one trail line each). */
  http?: { url: string; headers?: Record<string, string> };
  /** Default dir logs/audit-spool (one sub-folder per destination), maxBytes 64 MiB per destination. */
  spool?: { dir?: string; maxBytes?: number };
  /** Records per batch. Default 100. */
  batchMaxRecords?: number;
  /** A batch that is not full goes out this long after its first record. Default 1000. */
  flushIntervalMs?: number;
  /** Retries after a failed batch wait 250 ms, doubling up to this. Default 30000. */
  retryMaxMs?: number;
  /** Connect, write and HTTP answer timeout. Default 10000. */
  timeoutMs?: number;
  /** When the spool is full, refuse requests (503 ERR_AUDIT_UNAVAILABLE) instead of dropping the oldest records. Default false. */
  failClosed?: boolean;
}

/** `security.pinning` (docs/pinning.md). */
export interface PinningConfig {
  /** Default true. */
  enabled?: boolean;
  /** Pin store file. Default data/pins.json under the working folder. */
  file?: string;
  /** `file` (default) or a `redis://` / `rediss://` URL shared by several hubs. Default: security.rateLimit.store when that is a Redis URL. */
  store?: string;
  /** Definitions recorded at most; past it new ones are not recorded (status "new", pinned_digest null). Default 10000. */
  maxEntries?: number;
  /** What the shipped policy does with definitions no operator approved yet (data.config.pinning.new). Default "allow". */
  new?: 'allow' | 'hold';
}

/** `security.flows` (docs/flows.md). */
export interface FlowsConfig {
  /** "server:tool" (either part "*" or prefix*suffix) -> labels; replaces the bundle's key of the same name. */
  labels?: Record<string, string[]>;
  /** Replaces the bundle's flow rules, whole. */
  rules?: { id: string; after: string; then: string; outcome: 'approval' | 'deny'; reason?: string; approvers?: string[]; timeout_s?: number }[];
  /** Entries per session in input.session.history. Default 20. */
  historySize?: number;
  /** Stateless (2026-07-28) callers: how long what they did is remembered. Default 3600000 (1 h). */
  windowMs?: number;
  /** Sessions and principals tracked at most (memory store). Default 10000. */
  maxKeys?: number;
  /** `memory` (default), or a Redis URL shared by several hubs; with cluster.enabled, cluster.redis. */
  store?: string;
}

/** `security.approval` (docs/approvals.md). */
export interface ApprovalConfig {
  /** Replaces the bundle's destructive-tool rule; false switches it off. */
  destructive?: false | { roles: string[]; approvers?: string[]; timeout_s?: number };
  /** Calls held at once, in all. Default 256. */
  maxPending?: number;
  /** Calls held at once per principal. Default 16. */
  maxPerPrincipal?: number;
  /** Upper bound on a decision's timeout_s. Default 600. */
  maxTimeoutSeconds?: number;
}

/** `security.suspicious`: thresholds the policy hatago.suspicious reads (docs/audit.md). */
export interface SuspiciousConfig {
  enabled?: boolean;
  windowMs?: number;
  cooldownMs?: number;
  authFailures?: number;
  denials?: number;
  block?: { authFailures?: number; denials?: number; durationMs?: number };
  /** CIDRs or addresses never blocked (scrapers, loopback); the policy decides. Default none. */
  exemptAddresses?: string[];
  /** Counts, raised marks and blocks: `memory` (default) or a Redis URL shared by several replicas. Not passed to the policy. */
  store?: string;
}

export interface SecurityConfig {
  authentication?: AuthenticationConfig;
  authorization?: AuthorizationConfig;
  network?: NetworkConfig;
  circuitBreaker?: CircuitBreakerConfig;
  rateLimit?: RateLimitConfig;
  validation?: ValidationConfig;
  logging?: LoggingSecurityConfig;
  audit?: AuditTrailConfig;
  suspicious?: SuspiciousConfig;
  /** Tool-definition pinning (docs/pinning.md). */
  pinning?: PinningConfig;
  /** Session flow rules (docs/flows.md). */
  flows?: FlowsConfig;
  /** Approval as a policy outcome (docs/approvals.md). */
  approval?: ApprovalConfig;
  /** Bounds on 2025-11-25 sessions (docs/sessions.md), handed to the policy as data.config.sessions. */
  sessions?: { maxPerPrincipal?: number; maxTotal?: number; idleTimeoutMs?: number };
  /** Later issues (rate limits, breakers, logging, audit) add their keys here. */
  [key: string]: unknown;
}

export interface HatagoConfig {
  mcpServers: Record<string, ServerConfig>;
  http: HttpConfig;
  policies: PoliciesConfig;
  security: SecurityConfig;
  upstreams?: { timeoutMs?: number };
  /** `file: true` or absent: logs/hatago.log; `false`: no file. */
  logging?: { level?: string; file?: string | boolean };
  /** OpenTelemetry traces (docs/telemetry.md); off by default. */
  telemetry?: TelemetryConfig;
  /** Replicas sharing state through Redis (docs/deploy.md). */
  cluster?: ClusterConfig;
  /** The security console (docs/console.md); off by default. */
  console?: ConsoleConfig;
}

export interface ConsoleConfig {
  /** Serve /console and /console/api (default false). */
  enabled?: boolean;
  /** Folder of candidate bundles (*.tar.gz) the Explorer may choose. */
  candidates?: string;
  /** Recent decisions kept in memory (default 500). */
  maxDecisions?: number;
  /** Largest Explorer body and largest masked input kept per decision (default 65536). */
  maxInputBytes?: number;
  /** Live-update streams open at once (default 8). */
  maxStreams?: number;
  /** Events queued for one slow stream before it is closed (default 256). */
  streamQueue?: number;
  /** Heartbeat period of a stream, which also re-checks its token (default 15). */
  heartbeatSeconds?: number;
}

export interface TelemetryConfig {
  /** Resource `service.name` (default OTEL_SERVICE_NAME, else "hatago"). */
  serviceName?: string;
  traces?: {
    /** Default: on when OTEL_TRACES_EXPORTER names otlp (and OTEL_SDK_DISABLED is not true). */
    enabled?: boolean;
    /** OTLP/HTTP traces URL (default from the OTEL_EXPORTER_OTLP_* variables). */
    endpoint?: string;
    /** Encoding of the export (default OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf). */
    protocol?: 'http/protobuf' | 'http/json';
    headers?: Record<string, string>;
    /** Share of new traces kept (parent-based: a sampled caller's trace is kept). Default 1. */
    sampleRatio?: number;
    /** Spans held for export at most (default 2048); past it, new spans are dropped. */
    maxQueueSize?: number;
    /** Spans in one export at most (default OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else 512). */
    maxExportBatchSize?: number;
    exportTimeoutMs?: number;
  };
}
