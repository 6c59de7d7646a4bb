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
  return tokenEndpoints({ ...setup, users, passwords });
}
