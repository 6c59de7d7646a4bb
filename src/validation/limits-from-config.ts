import type { ValidationConfig } from '../config/types.js';
import { DEFAULT_LIMITS, type StructureLimits } from './limits.js';

/** security.validation's structural limits over the defaults. */
export function limitsFromConfig(config: ValidationConfig | undefined): StructureLimits {
  return {
    maxBodyBytes: config?.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
    maxDepth: config?.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxStringLength: config?.maxStringLength ?? DEFAULT_LIMITS.maxStringLength,
    maxArrayItems: config?.maxArrayItems ?? DEFAULT_LIMITS.maxArrayItems,
    maxObjectKeys: config?.maxObjectKeys ?? DEFAULT_LIMITS.maxObjectKeys,
  };
}
