import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { DEFAULT_SCRYPT, ENVELOPE_MARK, envelopeAad, scryptMaxmem, type EncryptedConfigEnvelope, type ScryptParams } from './envelope.js';
import { parseKey } from './key.js';

export interface EncryptConfigOptions {
  /** scrypt cost for a passphrase key. Default N=2^15, r=8, p=1. */
  scrypt?: ScryptParams;
}

/**
 * Encrypts config text (any bytes; normally JSON) into an envelope with
 * AES-256-GCM under `key` (a passphrase, or `base64:` + 32 raw bytes).
 * Returns the envelope as JSON text, ending with a newline.
 */
export function encryptConfig(plaintext: string | Buffer, key: string, opts: EncryptConfigOptions = {}): string {
  const material = parseKey(key, { forEncrypt: true });
  const iv = randomBytes(12);
  let envelope: EncryptedConfigEnvelope;
  let aesKey: Buffer;
  if (material.kind === 'raw') {
    aesKey = material.key;
    envelope = { hatago: ENVELOPE_MARK, v: 1, kdf: 'none', iv: iv.toString('base64'), tag: '', data: '' };
  } else {
    const params = opts.scrypt ?? DEFAULT_SCRYPT;
    const salt = randomBytes(16);
    aesKey = scryptSync(material.passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: scryptMaxmem(params) });
    envelope = { hatago: ENVELOPE_MARK, v: 1, kdf: 'scrypt', ...params, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: '', data: '' };
  }
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  cipher.setAAD(envelopeAad(envelope));
  const data = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  envelope.data = data.toString('base64');
  envelope.tag = cipher.getAuthTag().toString('base64');
  return `${JSON.stringify(envelope, null, 2)}\n`;
}
