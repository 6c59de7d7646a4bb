export { DEFAULT_SCRYPT_PARAMS, costliestParams, scryptCost, hashPassword, parsePasswordHash, verifyPassword, scryptParamsProblem, type ParsedHash, type ScryptParams } from './password-hash.js';
export type { UserRecord, UserStore } from './user-store.js';
export { ConfigUserStore, type UserConfig } from './config-user-store.js';
export { PasswordAuthenticator, type PasswordCheck, type PasswordVerifier, type PasswordAuthenticatorOptions } from './authenticate-password.js';
