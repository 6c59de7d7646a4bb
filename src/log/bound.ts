// The cap on what one string may cost to mask. A string longer than the cap
// is cut before any pattern runs; a marker says how long it was and gives a
// short sha256 of the whole, so an auditor holding the original can match it.
import { createHash } from 'node:crypto';

/** Default `security.logging.maxStringLength`: 4 KiB of text per string (UTF-16 code units). */
export const DEFAULT_MAX_STRING_LENGTH = 4096;

/** Hex digits of the sha256 kept in the marker (48 bits: enough to match a known original). */
const HASH_CHARS = 12;

// Characters a token (key, base64, JWT, path) is made of. A cut inside such a
// run would leave a piece too short for any pattern to recognise, so the piece goes.
const isTokenChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 95 || c === 45 || c === 46 || c === 126 || c === 37; // + / _ - . ~ %

export interface CutString {
  /** What is kept: at most `max` characters, a token cut in half replaced by `mask`. */
  head: string;
  /** Appended after masking the head, e.g. `…[TRUNCATED 14336 chars sha256:3f2a9c8b7e6d]`. */
  marker: string;
}

/** The head and marker of a string longer than `max`, or null when it fits. */
export function cutLongString(s: string, max: number, mask: string): CutString | null {
  if (s.length <= max) return null;
  let end = max;
  if (isTokenChar(s.charCodeAt(end - 1)) && isTokenChar(s.charCodeAt(end))) {
    while (end > 0 && isTokenChar(s.charCodeAt(end - 1))) end--;
  }
  // Never keep half of a surrogate pair.
  const code = s.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end--;
  const head = end < max && isTokenChar(s.charCodeAt(end)) ? s.slice(0, end) + mask : s.slice(0, end);
  const hash = createHash('sha256').update(s, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return { head, marker: `…[TRUNCATED ${s.length} chars sha256:${hash}]` };
}
