import { createHash } from 'node:crypto';
import { canonicalJson } from './record.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A list decision's record keeps the candidate list as a digest, not whole:
 * at 1,000 tools the list is some 70 KB, and it would be masked, bounded,
 * hashed and written on every tools/list. `metadata.candidates` holds its
 * count and `sha256:<hex>` of its canonical JSON (as the policy saw it; the
 * label keeps the log sanitizer from masking it as a secret), so
 * whoever holds the catalogue can prove which list was decided; the names
 * shown are in `metadata.visible` (set by the policy stage). Other records
 * pass unchanged.
 */
export function digestCandidates(metadata: Record<string, unknown>): Record<string, unknown> {
  const input = metadata.input;
  if (!isObject(input) || !Array.isArray(input.candidates)) return metadata;
  const { candidates, ...rest } = input;
  return {
    ...metadata,
    input: rest,
    candidates: { count: candidates.length, digest: `sha256:${createHash('sha256').update(canonicalJson(candidates)).digest('hex')}` },
  };
}
