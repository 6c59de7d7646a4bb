// Start-up rule: with authentication off, anyone who can reach the port is
// the admin, so the hub may listen on loopback only, and says so loudly.

import { BlockList, isIP } from 'node:net';
import { HatagoError } from '../errors/index.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (any spelling, IPv4-mapped too) or `localhost`. Names are not resolved. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h === 'localhost.') return true;
  const family = isIP(h);
  if (family === 0) return false;
  return LOOPBACK.check(h, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Returns undefined when authentication is on. When it is off, returns the
 * warning to log at start, or throws ERR_AUTH_DISABLED_NON_LOOPBACK when
 * `host` is not loopback. A missing section counts as off; a present one
 * without `enabled` counts as on.
 */
export function assertSafeAuthBinding(authConfig: { enabled?: boolean } | undefined, host: string): string | undefined {
  // Same default as AuthenticationManager: a present section is on unless it says false.
  if (authConfig !== undefined && authConfig.enabled !== false) return undefined;
  if (!isLoopbackHost(host)) {
    throw new HatagoError('ERR_AUTH_DISABLED_NON_LOOPBACK', {
      detail: `security.authentication.enabled is false and http.host is '${host}'; bind to 127.0.0.1, ::1 or localhost, or enable authentication`,
    });
  }
  return (
    `WARNING: authentication is DISABLED (security.authentication is absent or enabled is false). ` +
    `Every client that reaches ${host} is trusted without a token. Listening on loopback only.`
  );
}
