// Bundle format: take a .tar.gz apart into its files. No wasm is
// instantiated here; loading and swapping live in the engine (lifecycle).
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { HatagoError } from '../../errors/index.js';
import { DEFAULT_BUNDLE_LIMITS, type BundleFiles, type BundleLimits, type BundleManifest } from './types.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

function invalid(reason: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_BUNDLE_INVALID', { detail: reason, data: { reason }, cause });
}

/**
 * Normalizes a tar entry name to a relative '/'-separated path. OPA writes
 * names with a leading '/'; anything that could escape the bundle root
 * ('..', backslashes, NUL) is rejected rather than cleaned.
 */
export function normalizeEntryPath(raw: string): string {
  if (raw.includes('\\') || raw.includes('\0')) throw invalid(`unsafe path in bundle: ${JSON.stringify(raw)}`);
  const p = raw.replace(/^\/+/, '').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const segments = p.split('/');
  if (p === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid(`unsafe path in bundle: ${JSON.stringify(raw)}`);
  }
  return p;
}

function untar(tarBytes: Buffer, limits: BundleLimits): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let entries = 0;
  let failure: unknown;
  const fail = (err: unknown): void => {
    failure ??= err;
  };

  let ended = false;
  const parser = new Parser({ strict: true });
  parser.on('error', fail);
  parser.on('end', () => {
    ended = true;
  });
  parser.on('entry', (entry: ReadEntry) => {
    entry.on('error', fail);
    try {
      if (++entries > limits.maxEntries) throw invalid(`bundle has more than ${limits.maxEntries} entries`);
      const name = normalizeEntryPath(entry.path);
      if (entry.type === 'Directory') {
        entry.resume();
        return;
      }
      if (!FILE_TYPES.has(entry.type)) throw invalid(`unsupported entry type ${entry.type} for ${name}`);
      if (files.has(name)) throw invalid(`duplicate file in bundle: ${name}`);
      files.set(name, new Uint8Array(0)); // reserve the name now: a duplicate is caught even mid-stream
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => files.set(name, Buffer.concat(chunks)));
    } catch (err) {
      fail(err);
      entry.resume();
    }
  });
  // Handed the whole buffer, tar's Parser emits every entry synchronously.
  parser.end(tarBytes);

  if (failure instanceof HatagoError) throw failure;
  if (failure !== undefined) throw invalid(`not a tar archive: ${errorText(failure)}`, failure);
  if (!ended) throw invalid('tar archive did not parse to the end');
  return files;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function parseJson(name: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw invalid(`${name} is not valid JSON: ${errorText(err)}`, err);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseManifest(bytes: Uint8Array | undefined): BundleManifest {
  if (!bytes) throw invalid('bundle has no .manifest');
  const m = parseJson('.manifest', bytes);
  if (!isObject(m)) throw invalid('.manifest is not a JSON object');
  if (m.revision !== undefined && typeof m.revision !== 'string') throw invalid('.manifest revision is not a string');
  if (m.wasm !== undefined) {
    const ok = Array.isArray(m.wasm) && m.wasm.every((w) => isObject(w) && typeof w.entrypoint === 'string' && typeof w.module === 'string');
    if (!ok) throw invalid('.manifest wasm is not a list of {entrypoint, module}');
  }
  return { ...m, revision: (m.revision as string | undefined) ?? '' } as BundleManifest;
}

/**
 * Parses a bundle built by `opa build -t wasm` into its files. Throws
 * HatagoError ERR_BUNDLE_INVALID (reason in `detail` and `data.reason`).
 */
export function readBundle(buf: Uint8Array, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): BundleFiles {
  if (buf.byteLength > limits.maxCompressedBytes) {
    throw invalid(`bundle is ${buf.byteLength} bytes, over the ${limits.maxCompressedBytes} byte limit`);
  }
  if (buf.byteLength < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) throw invalid('bundle is not gzip-compressed');

  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(buf, { maxOutputLength: limits.maxUncompressedBytes });
  } catch (err) {
    throw invalid(`bundle does not gunzip (corrupt, or over ${limits.maxUncompressedBytes} bytes): ${errorText(err)}`, err);
  }

  const files = untar(tarBytes, limits);
  const manifest = parseManifest(files.get('.manifest'));

  // One wasm module, at the path opa build uses; nested data files are not
  // supported (opa build merges data into the root data.json).
  const wasmModules = [...files.keys()].filter((n) => n.endsWith('.wasm'));
  if (wasmModules.length !== 1 || wasmModules[0] !== 'policy.wasm') {
    throw invalid(`bundle must hold exactly one policy.wasm, found: ${wasmModules.join(', ') || 'none'}`);
  }
  const nestedData = [...files.keys()].filter((n) => /(^|\/)data\.(json|ya?ml)$/.test(n) && n !== 'data.json');
  if (nestedData.length > 0) throw invalid(`unsupported data files in bundle: ${nestedData.join(', ')}`);

  const dataBytes = files.get('data.json');
  const data = dataBytes ? parseJson('data.json', dataBytes) : {};
  if (!isObject(data)) throw invalid('data.json is not a JSON object');

  const sigBytes = files.get('.signatures.json');
  const result: BundleFiles = { wasm: files.get('policy.wasm')!, data, manifest, files };
  if (sigBytes) result.signatures = parseJson('.signatures.json', sigBytes);
  return result;
}
