// Structural limits on every JSON body, checked before any stage reads it.
// Depth is checked on the raw text before JSON.parse (a deep body never
// becomes objects); the rest on the parsed value, without recursion.

import { HatagoError } from '../errors/index.js';

export interface StructureLimits {
  /** Bytes of one HTTP body. */
  maxBodyBytes: number;
  /** Nesting of arrays and objects. */
  maxDepth: number;
  /** Characters of one string (keys included). */
  maxStringLength: number;
  /** Items of one array. */
  maxArrayItems: number;
  /** Keys of one object. */
  maxObjectKeys: number;
}

export const DEFAULT_LIMITS: StructureLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxStringLength: 1024 * 1024,
  maxArrayItems: 10_000,
  maxObjectKeys: 1_000,
};

export type LimitName = 'depth' | 'stringLength' | 'arrayItems' | 'objectKeys';

export function limitExceeded(limit: LimitName, max: number): HatagoError {
  return new HatagoError('ERR_LIMIT_EXCEEDED', { data: { limit, max } });
}

/**
 * Nesting depth of a JSON text, counted on brackets outside strings. Stops
 * as soon as `cap` is passed, so a hostile body costs one partial scan.
 */
export function exceedsDepth(text: string, cap: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > cap) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Throws ERR_LIMIT_EXCEEDED for the first string, array or object over its limit. */
export function checkStructure(value: unknown, limits: StructureLimits): void {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) throw limitExceeded('stringLength', limits.maxStringLength);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limits.maxDepth) throw limitExceeded('depth', limits.maxDepth);
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayItems) throw limitExceeded('arrayItems', limits.maxArrayItems);
      for (const item of v) stack.push({ v: item, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.maxObjectKeys) throw limitExceeded('objectKeys', limits.maxObjectKeys);
    for (const k of keys) {
      if (k.length > limits.maxStringLength) throw limitExceeded('stringLength', limits.maxStringLength);
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
    }
  }
}
