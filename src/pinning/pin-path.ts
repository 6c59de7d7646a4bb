import path from 'node:path';
import type { HatagoConfig } from '../config/types.js';
import { isRedisUrl } from './pin-backend.js';
import { DEFAULT_PIN_FILE } from './pin-file.js';

/** The pin store file of a config, resolved against the working folder (as the audit trail is). */
export function pinFilePath(config: Pick<HatagoConfig, 'security'>, cwd: string = process.cwd()): string {
  return path.resolve(cwd, config.security.pinning?.file ?? DEFAULT_PIN_FILE);
}

/**
 * The Redis URL of the pin store: `security.pinning.store`, else the rate
 * limiter's Redis (`security.rateLimit.store`), so a cluster that shares
 * counters shares pins too; undefined: the file.
 */
export function pinStoreUrl(config: Pick<HatagoConfig, 'security'>): string | undefined {
  const own = config.security.pinning?.store;
  if (own !== undefined) return isRedisUrl(own) ? own : undefined;
  const shared = config.security.rateLimit?.store;
  return isRedisUrl(shared) ? shared : undefined;
}
