import type { RevokedTokenStore } from './types.js';

export interface MemoryRevokedTokenStoreOptions {
  /** Clock in epoch ms (tests). */
  now?: () => number;
  /** Entries past expiry are swept every this many ms. Default 60000. */
  sweepMs?: number;
}

/** Revocations of one process; an entry leaves once its token has expired. */
export class MemoryRevokedTokenStore implements RevokedTokenStore {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: MemoryRevokedTokenStoreOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#timer = setInterval(() => this.sweep(), opts.sweepMs ?? 60_000);
    this.#timer.unref();
  }

  async revoke(jti: string, expiresAtMs: number): Promise<boolean> {
    if (this.#live(jti)) return false;
    this.#until.set(jti, expiresAtMs);
    return true;
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.#live(jti);
  }

  /** Entries held (for tests and health). */
  get size(): number {
    return this.#until.size;
  }

  /** Drops entries whose tokens have expired. */
  sweep(): void {
    const now = this.#now();
    for (const [jti, until] of this.#until) if (until <= now) this.#until.delete(jti);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
  }

  #live(jti: string): boolean {
    const until = this.#until.get(jti);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(jti);
    return false;
  }
}
