import path from 'node:path';
import type { HatagoConfig } from '../config/types.js';
import { DEFAULT_PIN_FILE } from './pin-file.js';

/** The pin store file of a config, resolved against the working folder (as the audit trail is). */
export function pinFilePath(config: Pick<HatagoConfig, 'security'>, cwd: string = process.cwd()): string {
  return path.resolve(cwd, config.security.pinning?.file ?? DEFAULT_PIN_FILE);
}
