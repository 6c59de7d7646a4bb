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
}

export interface HttpConfig {
  host: string;
  port: number;
  ssl?: {
    enabled: boolean;
    cert?: string;
    key?: string;
    ca?: string;
    protocols?: string[];
    ciphers?: string[];
  };
}

export interface PoliciesConfig {
  /** Path of the policy bundle (.tar.gz built by `opa build -t wasm`). */
  bundle: string;
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
  cors?: { enabled: boolean; origin?: string[]; credentials?: boolean };
}

export interface SecurityConfig {
  authentication?: AuthenticationConfig;
  authorization?: AuthorizationConfig;
  network?: NetworkConfig;
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
}
