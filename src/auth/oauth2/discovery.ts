// Authorization server metadata: OpenID Connect Discovery
// (`<issuer>/.well-known/openid-configuration`), then RFC 8414
// (`<origin>/.well-known/oauth-authorization-server<path>`). The document's
// `issuer` must equal the configured one exactly (RFC 8414 §3.3), or a
// metadata document could redirect the hub to another issuer's keys.

import { providerUnavailable } from './errors.js';
import { fetchJson } from './fetch-json.js';

export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  userinfo_endpoint?: string;
  introspection_endpoint?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
}

export function discoveryUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return [`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, `${u.origin}/.well-known/oauth-authorization-server${path}`];
}

async function fetchMetadata(issuer: string, timeoutMs: number): Promise<IssuerMetadata> {
  let lastStatus = 0;
  for (const url of discoveryUrls(issuer)) {
    const { status, body } = await fetchJson(url, { timeoutMs, what: 'discovery' });
    if (status !== 200) {
      lastStatus = status;
      continue;
    }
    const doc = body as Partial<IssuerMetadata> | undefined;
    if (typeof doc !== 'object' || doc === null || doc.issuer !== issuer) {
      throw providerUnavailable(`discovery: ${url} names another issuer`);
    }
    return doc as IssuerMetadata;
  }
  throw providerUnavailable(`discovery: no metadata for the issuer (HTTP ${lastStatus})`);
}

/**
 * Fetched on first use, not at start: the hub starts while the provider is
 * down and answers 503 until it is up. One request in flight at a time; a
 * success is kept for the life of the process, a failure is retried next time.
 */
export class IssuerDiscovery {
  readonly #issuer: string;
  readonly #timeoutMs: number;
  #pending: Promise<IssuerMetadata> | undefined;

  constructor(issuer: string, timeoutMs: number) {
    this.#issuer = issuer;
    this.#timeoutMs = timeoutMs;
  }

  metadata(): Promise<IssuerMetadata> {
    this.#pending ??= fetchMetadata(this.#issuer, this.#timeoutMs).catch((err: unknown) => {
      this.#pending = undefined;
      throw err;
    });
    return this.#pending;
  }
}
