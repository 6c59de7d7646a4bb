// Builds the resource server from `security.authentication` with type
// "oauth2". Settings that belong to type "jwt" (a local secret or key, the
// top-level issuer and audience) are refused rather than ignored: a config
// that mixes both would not do what its reader thinks.

import { authConfigInvalid } from '../errors.js';
import type { AuthenticationOptions } from '../options.js';
import { resolveOAuth2Options } from './options.js';
import { OAuth2ResourceServer } from './resource-server.js';

const JWT_ONLY = ['secret', 'privateKeyPath', 'publicKeyPath', 'privateKey', 'publicKey', 'issuer', 'audience', 'expiresIn'] as const;

export function createResourceServer(opts: AuthenticationOptions): OAuth2ResourceServer {
  const mixed = JWT_ONLY.filter((k) => opts[k] !== undefined && opts[k] !== '');
  if (mixed.length > 0) {
    throw authConfigInvalid(`${mixed.join(', ')} belong to type "jwt"; with type "oauth2" set provider.issuer / provider.audience (docs/oauth2.md)`);
  }
  return new OAuth2ResourceServer(
    resolveOAuth2Options(opts.provider, {
      ...(opts.algorithms !== undefined && { algorithms: opts.algorithms }),
      ...(opts.clockTolerance !== undefined && { clockTolerance: opts.clockTolerance }),
      ...(opts.maxTokenBytes !== undefined && { maxTokenBytes: opts.maxTokenBytes }),
      ...(opts.now !== undefined && { now: opts.now }),
    }),
  );
}
