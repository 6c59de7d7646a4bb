// Revoked token ids (jti), kept until the token would have expired anyway.
// One small interface; MemoryRevokedTokenStore for one hub, RedisRevokedTokenStore
// when several hubs must agree.

export interface RevokedTokenStore {
  /**
   * Revokes `jti` until `expiresAtMs` (epoch ms). Resolves true when this call
   * revoked it, false when it already was: refresh rotates on `true` only, so
   * two concurrent refreshes of one token cannot both succeed.
   * Rejects with ERR_REVOCATION_UNAVAILABLE when the store cannot be reached.
   */
  revoke(jti: string, expiresAtMs: number): Promise<boolean>;
  /** Rejects with ERR_REVOCATION_UNAVAILABLE when the store cannot answer (callers fail closed). */
  isRevoked(jti: string): Promise<boolean>;
  close(): Promise<void>;
}
