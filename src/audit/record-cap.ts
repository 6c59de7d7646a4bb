import { createHash } from 'node:crypto';

// Bounds what one audit record holds. A denied call with megabytes of
// arguments must not write megabytes to the trail: past the cap, large
// metadata values become a marker that still identifies them (their size and
// SHA-256), while the structure around them (method, server, name,
// principal of `metadata.input`) stays, so the record remains valid JSON,
// chained, and replayable when what the policy looked at was small.

export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024;

/** What a value too large for the record is replaced with. */
export interface TruncatedValue {
  truncated: true;
  /** UTF-8 bytes of the value: of the string itself, or of its JSON for anything else. */
  bytes: number;
  /** SHA-256 (hex) of those bytes. */
  sha256: string;
}

/** Room kept for what the log adds (seq, timestamp, component, prevHash, hash). */
const CHAIN_BYTES = 256;
/** The smallest leaf budget tried before the whole metadata becomes one marker. */
const MIN_LEAF_BYTES = 64;

type Json = unknown;

function marker(v: Json): TruncatedValue {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
  const buf = Buffer.from(text, 'utf8');
  return { truncated: true, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
}

const jsonBytes = (v: Json): number => Buffer.byteLength(JSON.stringify(v) ?? 'null', 'utf8');

interface Sized {
  value: Json;
  bytes: number;
}

/**
 * One pass: leaves over `leaf` bytes and containers whose (already shrunk)
 * JSON is over `container` bytes become markers; sizes are summed bottom-up
 * so a deep value is measured once per pass, not once per level.
 */
function shrink(v: Json, leaf: number, container: number, root: boolean): Sized {
  if (Array.isArray(v)) {
    const items = v.map((x) => shrink(x === undefined ? null : x, leaf, container, false));
    const bytes = 2 + items.reduce((n, x) => n + x.bytes, 0) + Math.max(items.length - 1, 0);
    return !root && bytes > container ? sizedMarker(v) : { value: items.map((x) => x.value), bytes };
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, Json> = {};
    let bytes = 2;
    let n = 0;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const s = shrink(x, leaf, container, false);
      out[k] = s.value;
      bytes += jsonBytes(k) + 1 + s.bytes + (n++ > 0 ? 1 : 0);
    }
    return !root && bytes > container ? sizedMarker(v) : { value: out, bytes };
  }
  const bytes = jsonBytes(v);
  return bytes > leaf ? sizedMarker(v) : { value: v, bytes };
}

function sizedMarker(v: Json): Sized {
  const m = marker(v);
  return { value: m, bytes: jsonBytes(m) };
}

/**
 * The entry unchanged when its JSON (plus the chain fields) fits in
 * `maxBytes`; else its metadata with large values replaced by markers, the
 * budgets halving until it fits, and as a last resort the whole metadata as
 * one marker. Fields outside metadata are kept as they are (the hub bounds
 * them: header sizes, token sizes).
 */
export function capRecord<E extends { metadata: Record<string, unknown> }>(entry: E, maxBytes: number): E {
  const total = jsonBytes(entry) + CHAIN_BYTES;
  if (total <= maxBytes) return entry;
  const metadataBytes = jsonBytes(entry.metadata);
  const room = maxBytes - (total - metadataBytes);
  for (let leaf = Math.floor(maxBytes / 16); leaf >= MIN_LEAF_BYTES; leaf = Math.floor(leaf / 2)) {
    const s = shrink(entry.metadata, leaf, leaf * 8, true);
    if (s.bytes <= room) return { ...entry, metadata: s.value as Record<string, unknown> };
  }
  return { ...entry, metadata: { truncated: true, bytes: metadataBytes, sha256: marker(entry.metadata).sha256 } };
}

/**
 * Whether capRecord leaves `entry` as it is, measured by `metadataJson`, the
 * canonical JSON of its metadata the trail's writer makes anyway (the same
 * bytes as the metadata's JSON, in another key order): a record that fits is
 * not serialized again to be measured.
 */
export function fitsRecord(entry: { metadata: Record<string, unknown> }, metadataJson: string, maxBytes: number): boolean {
  // The entry's JSON with the metadata as `0`, then the metadata's own bytes in place of that one byte.
  return jsonBytes({ ...entry, metadata: 0 }) - 1 + Buffer.byteLength(metadataJson, 'utf8') + CHAIN_BYTES <= maxBytes;
}
