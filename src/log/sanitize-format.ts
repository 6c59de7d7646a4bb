import winston from 'winston';
import type { Sanitizer } from './sanitizer.js';

// Fields winston and our own records own; their values are not user data.
const STRUCTURAL = new Set(['level', 'timestamp', 'component']);

/**
 * A winston format that masks every log line before any transport sees it:
 * the message and every metadata field, at any depth. Symbol keys (winston's
 * LEVEL/MESSAGE/SPLAT) are kept as they are.
 */
export const sanitizeFormat = winston.format((info, opts: unknown) => {
  const s = (opts as { sanitizer?: Sanitizer } | undefined)?.sanitizer;
  if (!s) return info;
  for (const key of Object.keys(info)) {
    if (STRUCTURAL.has(key)) continue;
    try {
      const v = info[key];
      info[key] = key === 'message' && typeof v === 'string' ? s.text(v) : (s.value({ [key]: v }) as Record<string, unknown>)[key];
    } catch {
      delete info[key]; // a field that cannot be sanitized is dropped, never written as it was
    }
  }
  return info;
});
