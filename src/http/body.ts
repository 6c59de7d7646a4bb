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
  const chunks = await readBounded(req, maxBytes);
  return decodeJson(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), limits);
}

/**
 * The body's chunks, at most `maxBytes` in all. Listeners rather than an
 * async iterator (a generator and promises per chunk, about 2% of a call).
 * A body past the bound fails 413 at once; the rest is read and dropped so
 * that answer reaches the client, up to as much again, after which the
 * request is destroyed (a client that keeps sending loses its connection).
 * A stream error, or a close before the end, fails with that error.
 */
function readBounded(req: IncomingMessage, maxBytes: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    // The error listener stays: an error after the end (or after a 413) is the socket's, not an unhandled event.
    const done = (err?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('end', onEnd);
      req.off('close', onClose);
      if (err === undefined) resolve(chunks);
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (settled) {
        if (size > 2 * maxBytes) {
          req.off('data', onData);
          req.destroy();
        }
        return;
      }
      if (size > maxBytes) {
        chunks.length = 0;
        done(new HatagoError('ERR_BODY_TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      req.off('data', onData);
      done();
    };
    const onError = (err: unknown) => done(err);
    const onClose = () => done(prematureClose());
    // Gone before the read began (the client left during the stages before this one): no event will come.
    if (req.destroyed && !req.readableEnded) {
      reject(prematureClose());
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
