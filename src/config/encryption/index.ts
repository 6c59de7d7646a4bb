export { encryptConfig, type EncryptConfigOptions } from './encrypt.js';
export { decryptConfig } from './decrypt.js';
export { looksEncrypted, parseEnvelope, DEFAULT_SCRYPT, type EncryptedConfigEnvelope, type ScryptParams } from './envelope.js';
export { parseKey, RAW_KEY_PREFIX, MIN_PASSPHRASE_LENGTH, type KeyMaterial } from './key.js';
export { openConfigText, CONFIG_KEY_ENV, type OpenConfigKey } from './open-config-text.js';
export { writePrivateFile } from './write-private-file.js';
