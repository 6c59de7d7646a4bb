import type { Router } from 'express';
import { ConfigUserStore, PasswordAuthenticator, type UserConfig } from '../users/index.js';
import { tokenEndpoints, type TokenEndpointsOptions } from './token-endpoints.js';

export type TokenEndpointsSetup = Omit<TokenEndpointsOptions, 'users' | 'passwords'> & {
  /** `security.authentication.users`; checked here (ERR_CONFIG_INVALID on a bad entry). */
  users: Record<string, UserConfig> | undefined;
};

/** The /auth router for a hub: users from the config, the dummy hash made once. */
export async function createTokenEndpoints(setup: TokenEndpointsSetup): Promise<Router> {
  const users = new ConfigUserStore(setup.users);
  const passwords = await PasswordAuthenticator.create(users);
  if (passwords.costsDiffer) {
    // Unknown names cost the costliest hash; a user with a cheaper one still answers faster than they do.
    setup.logger.warn('the password hashes in security.authentication.users use different scrypt costs: logins of users with cheaper hashes are faster than of unknown names; rehash them with one cost (hatago user hash-password --cost N)', {
      component: 'token-endpoint',
      dummy: passwords.dummyParams,
    });
  }
  return tokenEndpoints({ ...setup, users, passwords });
}
