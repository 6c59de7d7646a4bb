// The users that may log in with a password (`security.authentication.users`).
// One small interface; the config-backed store is the only one shipped.

import type { ParsedHash } from './password-hash.js';

export interface UserRecord {
  username: string;
  /** Token `sub`: the configured id, else the username. */
  sub: string;
  roles: string[];
  /** Token `permissions` claim (narrows the roles); absent: no claim. */
  permissions?: string[];
  disabled: boolean;
  hash: ParsedHash;
}

export interface UserStore {
  /** The user of that name, disabled ones included; undefined when unknown. */
  find(username: string): UserRecord | undefined;
  /** The scrypt parameters of every configured hash: the dummy for unknown users takes the costliest. */
  hashParams(): ParsedHash['params'][];
}
