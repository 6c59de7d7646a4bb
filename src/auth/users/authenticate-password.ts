// Password check with one answer for every failure. An unknown user costs a
// scrypt of a dummy hash made with the costliest parameters among the
// configured hashes, and a disabled user's password is still checked against
// its own hash: the caller cannot tell the failures apart by answer, and an
// unknown name never answers faster than a real user.

import { costliestParams, DEFAULT_SCRYPT_PARAMS, hashPassword, parsePasswordHash, scryptCost, verifyPassword, type ParsedHash, type ScryptParams } from './password-hash.js';
import type { UserRecord, UserStore } from './user-store.js';

export type PasswordCheck = { ok: true; user: UserRecord } | { ok: false; reason: 'unknown_user' | 'bad_password' | 'disabled' };

/** Runs the full scrypt of `password` against `hash` (verifyPassword; injectable to observe which hash ran). */
export type PasswordVerifier = (password: string, hash: ParsedHash) => Promise<boolean>;

export interface PasswordAuthenticatorOptions {
  verify?: PasswordVerifier;
}

export class PasswordAuthenticator {
  private constructor(
    private readonly users: UserStore,
    private readonly dummy: ParsedHash,
    private readonly verify: PasswordVerifier,
    /** Whether the configured hashes differ in cost (a cheaper user answers faster than an unknown name). */
    readonly costsDiffer: boolean,
  ) {}

  /** Makes the dummy hash once, with the costliest parameters of the configured hashes (the default without users). */
  static async create(users: UserStore, opts: PasswordAuthenticatorOptions = {}): Promise<PasswordAuthenticator> {
    const all = users.hashParams();
    const params = costliestParams(all) ?? DEFAULT_SCRYPT_PARAMS;
    const dummy = parsePasswordHash(await hashPassword('hatago-dummy-password', params))!;
    const costsDiffer = new Set(all.map(scryptCost)).size > 1;
    return new PasswordAuthenticator(users, dummy, opts.verify ?? verifyPassword, costsDiffer);
  }

  /** The parameters an unknown user's password is checked with. */
  get dummyParams(): ScryptParams {
    return { ...this.dummy.params };
  }

  /** `reason` is for the log and the audit record only, never for the client. */
  async check(username: string, password: string): Promise<PasswordCheck> {
    const user = this.users.find(username);
    const matches = await this.verify(password, user?.hash ?? this.dummy);
    if (!user) return { ok: false, reason: 'unknown_user' };
    if (!matches) return { ok: false, reason: 'bad_password' };
    if (user.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, user };
  }
}
