import { HatagoError } from '../../errors/index.js';

// An operator's key is either a passphrase (stretched with scrypt) or a raw
// 32-byte key written `base64:<44 chars>` (e.g. `openssl rand -base64 32`
// with the prefix). The prefix keeps the two apart: no guessing.

export const RAW_KEY_PREFIX = 'base64:';
/** Shortest passphrase `hatago config encrypt` accepts. */
export const MIN_PASSPHRASE_LENGTH = 12;

export type KeyMaterial = { kind: 'raw'; key: Buffer } | { kind: 'passphrase'; passphrase: string };

/** Parses an operator key; throws ERR_CONFIG_KEY_INVALID for a malformed raw key (or, when encrypting, a short passphrase). */
export function parseKey(key: string, opts: { forEncrypt?: boolean } = {}): KeyMaterial {
  if (key.startsWith(RAW_KEY_PREFIX)) {
    const b64 = key.slice(RAW_KEY_PREFIX.length).trim();
    const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
    if (raw.length !== 32) {
      throw new HatagoError('ERR_CONFIG_KEY_INVALID', { message: `A raw key must be "${RAW_KEY_PREFIX}" followed by the base64 of exactly 32 bytes (got ${raw.length} bytes)` });
    }
    return { kind: 'raw', key: raw };
  }
  if (key === '') throw new HatagoError('ERR_CONFIG_KEY_INVALID', { message: 'The config key is empty' });
  // Decrypting with a short passphrase just fails to authenticate; only new files are held to the floor.
  if (opts.forEncrypt && [...key].length < MIN_PASSPHRASE_LENGTH) {
    throw new HatagoError('ERR_CONFIG_KEY_INVALID', {
      message: `The passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters, or a raw key "${RAW_KEY_PREFIX}$(openssl rand -base64 32)"`,
    });
  }
  return { kind: 'passphrase', passphrase: key };
}
