// Reads a POST body once and parses it once. Content type is checked before
// any byte is read (415), size is bounded while reading (413), bad JSON is a
// 400 parse error: malformed requests never reach the hub and never 5xx.

import type { IncomingMessage } from 'node:http';
import { HatagoError } from '../errors/index.js';
import { DEFAULT_LIMITS, type StructureLimits } from '../validation/limits.js';
import { decodeJson } from '../validation/decode-json.js';

export const DEFAULT_MAX_BODY_BYTES = DEFAULT_LIMITS.maxBodyBytes;

const JSON_TYPE = /^application\/json\s*(;|$)/i;

export function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && JSON_TYPE.test(header);
}

/** Also checks UTF-8 and the structural limits (depth, string, array and object sizes) of `limits`. */
export async function readJsonBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES, limits: StructureLimits = DEFAULT_LIMITS): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) throw new HatagoError('ERR_UNSUPPORTED_MEDIA_TYPE');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new HatagoError('ERR_BODY_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HatagoError('ERR_BODY_TOO_LARGE');
    chunks.push(chunk);
  }
  return decodeJson(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), limits);
}
