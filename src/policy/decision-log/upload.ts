// One POST of a gzipped JSON array to the decision-log service, with
// node:http(s) so a configured CA file can be trusted (fetch cannot take one).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

export interface UploadTarget {
  url: URL;
  headers: Record<string, string>;
  /** PEM CA certificates trusted instead of the system ones (https only). */
  ca?: string;
  timeoutMs: number;
}

/** The receiver's status, or the transport error (refused, reset, timed out, TLS). */
export type UploadResult = { status: number } | { error: string };

export async function uploadBatch(target: UploadTarget, json: string, signal?: AbortSignal): Promise<UploadResult> {
  const body = await gzip(Buffer.from(json, 'utf8'));
  return new Promise<UploadResult>((resolve) => {
    let settled = false;
    const done = (r: UploadResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target.url, {
      method: 'POST',
      headers: {
        ...target.headers,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(body.length),
      },
      ...(target.ca !== undefined && { ca: target.ca }),
      ...(signal && { signal }),
    });
    // The whole exchange, not only an idle socket: a receiver that trickles bytes still times out.
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${target.timeoutMs} ms`)), target.timeoutMs);
    req.on('error', (err) => done({ error: err.message }));
    req.on('response', (res) => {
      res.resume(); // the body is not needed; reading it frees the socket
      res.on('end', () => done({ status: res.statusCode ?? 0 }));
      res.on('error', (err) => done({ error: err.message }));
      res.on('close', () => done({ error: 'response aborted' }));
    });
    req.end(body);
  });
}
