// Bytes to a JSON value, strictly: invalid UTF-8 is refused (a lenient
// decoder would turn it into U+FFFD and forward text the client never
// sent), then depth is checked on the text, then the parsed value.

import { HatagoError } from '../errors/index.js';
import { checkStructure, exceedsDepth, limitExceeded, type StructureLimits } from './limits.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeJson(bytes: Uint8Array, limits: StructureLimits): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new HatagoError('ERR_PARSE', { message: 'Parse error: the body is not valid UTF-8', data: { reason: 'utf8' } });
  }
  if (exceedsDepth(text, limits.maxDepth)) throw limitExceeded('depth', limits.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new HatagoError('ERR_PARSE');
  }
  checkStructure(value, limits);
  return value;
}
