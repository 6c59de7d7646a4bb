import { isLoopbackHost } from '../auth/safe-binding.js';
import type { HatagoConfig } from '../config/types.js';

/**
 * The start-up warning for bearer tokens sent in clear text: authentication
 * on, TLS off, and a host others can reach. Not a refusal: TLS may end at a
 * proxy in front of the hub (docs/tls.md). Undefined when nothing to say.
 */
export function cleartextTokenWarning(config: Pick<HatagoConfig, 'http' | 'security'>): string | undefined {
  const auth = config.security.authentication;
  if (auth === undefined || auth.enabled === false) return undefined;
  if (config.http.ssl?.enabled === true || isLoopbackHost(config.http.host)) return undefined;
  return (
    `WARNING: authentication is enabled but TLS is OFF on ${config.http.host}: bearer tokens cross the network in clear text. ` +
    'Set http.ssl (docs/tls.md), or terminate TLS at a proxy and bind the hub to loopback.'
  );
}
