// Reads a POST body once and parses it once. Content type is checked before
// any byte is read (415), size is bounded while reading (413), bad JSON is a
// 400 parse error: malformed requests never reach the hub and never 5xx.

import type { IncomingMessage } from 'node:http';
import { HatagoError } from '../errors/index.js';

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

const JSON_TYPE = /^application\/json\s*(;|$)/i;

export function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && JSON_TYPE.test(header);
}

export async function readJsonBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
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
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HatagoError('ERR_PARSE');
  }
}
