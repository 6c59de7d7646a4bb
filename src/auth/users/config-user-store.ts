// UserStore over the config's `security.authentication.users`. Every entry is
// checked at start-up: a malformed hash or a plain password stops the hub
// (ERR_CONFIG_INVALID) instead of making that user silently unable to log in.

import { HatagoError } from '../../errors/index.js';
import { parsePasswordHash } from './password-hash.js';
import type { UserRecord, UserStore } from './user-store.js';

/** One entry of `security.authentication.users`. */
export interface UserConfig {
  /** `scrypt$N=..,r=..,p=..$salt$key`, from `hatago user hash-password`. */
  passwordHash: string;
  roles?: string[];
  permissions?: string[];
  disabled?: boolean;
  /** Token `sub`; default the username. */
  id?: string;
}

const invalid = (detail: string) => new HatagoError('ERR_CONFIG_INVALID', { detail: `security.authentication.users: ${detail}` });

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');

export class ConfigUserStore implements UserStore {
  readonly #users = new Map<string, UserRecord>();

  constructor(users: Record<string, UserConfig> | undefined) {
    for (const [username, u] of Object.entries(users ?? {})) {
      if (username === '' || typeof u !== 'object' || u === null) throw invalid(`entry '${username}' must be an object`);
      const hash = parsePasswordHash(u.passwordHash);
      // Never echo the value: it may be a plain password someone pasted.
      if (!hash) throw invalid(`${username}.passwordHash is not a scrypt hash (make one with \`hatago user hash-password\`)`);
      if (u.roles !== undefined && !stringList(u.roles)) throw invalid(`${username}.roles must be a list of role names`);
      if (u.permissions !== undefined && !stringList(u.permissions)) throw invalid(`${username}.permissions must be a list of permissions`);
      if (u.id !== undefined && (typeof u.id !== 'string' || u.id === '')) throw invalid(`${username}.id must be a non-empty string`);
      const record: UserRecord = { username, sub: u.id ?? username, roles: [...(u.roles ?? [])], disabled: u.disabled === true, hash };
      if (u.permissions !== undefined) record.permissions = [...u.permissions];
      this.#users.set(username, record);
    }
  }

  get size(): number {
    return this.#users.size;
  }

  find(username: string): UserRecord | undefined {
    return this.#users.get(username);
  }

  hashParams(): UserRecord['hash']['params'][] {
    return [...this.#users.values()].map((u) => ({ ...u.hash.params }));
  }
}
