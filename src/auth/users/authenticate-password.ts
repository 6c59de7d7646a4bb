// Password check with one answer for every failure. An unknown user costs a
// scrypt of a dummy hash with the same parameters as a real one, and a
// disabled user's password is still checked: the caller cannot tell the
// three failures apart, by answer or by time.

import { hashPassword, parsePasswordHash, verifyPassword, type ParsedHash } from './password-hash.js';
import type { UserRecord, UserStore } from './user-store.js';

export type PasswordCheck = { ok: true; user: UserRecord } | { ok: false; reason: 'unknown_user' | 'bad_password' | 'disabled' };

export class PasswordAuthenticator {
  private constructor(
    private readonly users: UserStore,
    private readonly dummy: ParsedHash,
  ) {}

  /** Makes the dummy hash once, with the parameters of a configured hash. */
  static async create(users: UserStore): Promise<PasswordAuthenticator> {
    const dummy = parsePasswordHash(await hashPassword('hatago-dummy-password', users.sampleParams()))!;
    return new PasswordAuthenticator(users, dummy);
  }

  /** `reason` is for the log and the audit record only, never for the client. */
  async check(username: string, password: string): Promise<PasswordCheck> {
    const user = this.users.find(username);
    const matches = await verifyPassword(password, user?.hash ?? this.dummy);
    if (!user) return { ok: false, reason: 'unknown_user' };
    if (!matches) return { ok: false, reason: 'bad_password' };
    if (user.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, user };
  }
}
