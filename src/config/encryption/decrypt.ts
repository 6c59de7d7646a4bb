import { createDecipheriv, scryptSync } from 'node:crypto';
import { HatagoError } from '../../errors/index.js';
import { envelopeAad, parseEnvelope, scryptMaxmem } from './envelope.js';
import { parseKey } from './key.js';

/**
 * Decrypts an encrypted-config envelope (parsed JSON) with `key`, in memory.
 * A wrong key and a changed byte anywhere (header, iv, tag or data) are the
 * same failure to GCM: ERR_CONFIG_DECRYPT. A key of the wrong kind for the
 * envelope (passphrase for a raw-key file, or back) is named as such.
 */
export function decryptConfig(envelope: unknown, key: string, source = 'config'): Buffer {
  const e = parseEnvelope(envelope, source);
  const material = parseKey(key);
  let aesKey: Buffer;
  if (e.kdf === 'none') {
    if (material.kind !== 'raw') throw kindMismatch(source, 'a raw key ("base64:...")', 'a passphrase');
    aesKey = material.key;
  } else {
    if (material.kind !== 'passphrase') throw kindMismatch(source, 'a passphrase', 'a raw "base64:" key');
    const params = { N: e.N, r: e.r, p: e.p };
    aesKey = scryptSync(material.passphrase.normalize('NFC'), Buffer.from(e.salt, 'base64'), 32, { ...params, maxmem: scryptMaxmem(params) });
  }
  const decipher = createDecipheriv('aes-256-gcm', aesKey, Buffer.from(e.iv, 'base64'));
  decipher.setAAD(envelopeAad(e));
  decipher.setAuthTag(Buffer.from(e.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(e.data, 'base64')), decipher.final()]);
  } catch {
    throw new HatagoError('ERR_CONFIG_DECRYPT', {
      message: `Cannot decrypt ${source}: wrong key, or the file was changed after encryption`,
      data: { path: source },
    });
  }
}

function kindMismatch(source: string, wants: string, got: string): HatagoError {
  return new HatagoError('ERR_CONFIG_DECRYPT', { message: `Cannot decrypt ${source}: it was encrypted with ${wants}, but the key given is ${got}`, data: { path: source } });
}
