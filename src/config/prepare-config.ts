// The one start-up check: `hatago serve` and `hatago config validate` both
// call prepareConfig, so a config validate accepts is one serve accepts
// (apart from what only running tells: a port in use, a missing
// HATAGO_AUTH_TOKEN over stdio, an upstream that does not answer).
import { assertSafeAuthBinding, isLoopbackHost } from '../auth/safe-binding.js';
import { HatagoError } from '../errors/index.js';
import { sanitizerFromConfig } from '../log/from-config.js';
import { checkSiemConfig } from '../audit/siem/check-config.js';
import { checkConsoleConfig } from '../console/options.js';
import { tlsOptions } from '../server/listen.js';
import { policyData } from '../server/policy-data.js';
import { applyCluster, checkClusterRedis } from './cluster.js';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import type { HatagoConfig } from './types.js';

export interface PrepareConfigOptions extends LoadConfigOptions {
  /** `--port` (overrides http.port). */
  port?: string;
  /** `--host` (overrides http.host). */
  host?: string;
  /** Serving over stdio: the HTTP-only checks (binding, TLS files) do not apply. */
  stdio?: boolean;
  /**
   * Load the policy bundle as a check (default true). `serve` passes false: start-up loads the same bundle
   * with the same checks and errors right after, and loading it twice cost start-up a second wasm compile.
   */
  loadPolicy?: boolean;
}

export interface PreparedConfig {
  config: HatagoConfig;
  source: string;
  /** What was filled in for the operator (e.g. a derived OAuth 2.0 resource), one line each. */
  notes: string[];
}

export async function prepareConfig(opts: PrepareConfigOptions = {}): Promise<PreparedConfig> {
  const env = opts.env ?? process.env;
  const { port, host, stdio, loadPolicy, ...load } = opts;
  const { config, source } = await loadConfig(load);
  if (port !== undefined) config.http.port = parsePort(port);
  if (host !== undefined) config.http.host = host;
  // Replicas: Redis required for the shared stores, one audit chain per replica (docs/deploy.md).
  const notes: string[] = applyCluster(config, env);

  sanitizerFromConfig(config); // an invalid customSanitizer pattern stops here
  if (stdio !== true) assertSafeAuthBinding(config.security.authentication, config.http.host);
  const auth = config.security.authentication;
  if (auth?.enabled !== false && auth?.type === 'oauth2') {
    const derived = deriveResource(config, stdio === true);
    if (derived !== undefined) notes.push(`security.authentication.provider.resource is not set: using ${derived} (from ${config.http.publicUrl !== undefined ? 'http.publicUrl' : 'http.host and http.port'})`);
  }
  // Keys, secret lengths, OAuth 2.0 provider settings: exactly what serve builds.
  // Loaded only when on: a hub without authentication does not pay for jose at start-up.
  if (auth?.enabled) await (await import('../auth/manager.js')).AuthenticationManager.create({ ...auth, env });
  if (stdio !== true && config.http.ssl?.enabled) tlsOptions(config.http.ssl);
  // The SIEM sink's CA, URL and spool folder (docs/audit.md#shipping-to-a-siem).
  checkSiemConfig(config.security.audit ?? {}, process.cwd());
  // The console needs authentication, and its candidate folder (docs/console.md).
  checkConsoleConfig(config);
  await checkClusterRedis(config);
  // The policy bundle loads (and verifies) as at start-up; nothing is watched or served.
  if (loadPolicy !== false) await (await import('../policy/lifecycle/index.js')).PolicyLifecycle.create({ policies: config.policies, runtimeData: policyData(config, env) });
  return { config, source, notes };
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `--port must be an integer from 0 to 65535, got "${value}"` });
  }
  return n;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The OAuth 2.0 resource (the hub's canonical MCP URL) when the config leaves
 * it out: http.publicUrl + /mcp, else scheme://host:port/mcp when the host is
 * one a client can use as it is. Anything else (a wildcard bind, port 0,
 * plain http off loopback, stdio) stops with one line naming the key.
 * Returns the derived value, written into the config, or undefined when set.
 */
function deriveResource(config: HatagoConfig, stdio: boolean): string | undefined {
  const auth = config.security.authentication!;
  const provider = (auth.provider ?? {}) as Record<string, unknown>;
  if (provider.resource !== undefined && provider.resource !== '') return undefined;
  const fail = (why: string) =>
    new HatagoError('ERR_CONFIG_INVALID', {
      message: `security.authentication.provider.resource is required (${why}): set it to the public URL of the MCP endpoint, e.g. "https://mcp.example.com/mcp", or set http.publicUrl`,
    });
  let resource: string;
  if (config.http.publicUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(config.http.publicUrl);
    } catch {
      throw new HatagoError('ERR_CONFIG_INVALID', { message: `http.publicUrl "${config.http.publicUrl}" is not an absolute URL (e.g. https://mcp.example.com)` });
    }
    if (u.search !== '' || u.hash !== '') throw new HatagoError('ERR_CONFIG_INVALID', { message: 'http.publicUrl must not have a query or fragment' });
    resource = `${u.origin}${u.pathname.replace(/\/+$/, '')}/mcp`;
  } else {
    if (stdio) throw fail('serving over stdio, the hub has no URL of its own');
    const { host, port } = config.http;
    if (WILDCARD_HOSTS.has(host)) throw fail(`http.host ${host} is not an address clients use`);
    if (port === 0) throw fail('http.port is 0, the port is not known yet');
    const https = config.http.ssl?.enabled === true;
    if (!https && !isLoopbackHost(host)) throw fail(`plain http on ${host} is not a safe resource identifier`);
    resource = `${https ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/mcp`;
  }
  auth.provider = { ...auth.provider, resource };
  return resource;
}
