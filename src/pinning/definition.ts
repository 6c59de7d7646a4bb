// What a pin covers: the parts of an upstream definition a model reads or a
// client relies on, as canonical JSON (keys sorted, OPA's canonical form), and
// its sha256. Names are the upstream's own (a pin is per server and local name).

import { createHash } from 'node:crypto';
import { opaCanonicalJson } from '../policy/bundle/canonical-json.js';
import type { McpItem } from '../upstreams/types.js';
import type { ListCandidate } from '../hub/types.js';

export type PinnedKind = Exclude<ListCandidate['kind'], 'resource'>;

/** Fields that make up a definition; anything else (icons, _meta) may change freely. */
const FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations', 'arguments', 'uriTemplate', 'mimeType'] as const;

/** The pinned part of an item, fields absent upstream left out. */
export function definitionOf(item: McpItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if (item[f] !== undefined) out[f] = item[f];
  return out;
}

/** Canonical JSON of a definition (the bytes the digest is taken over). */
export function canonicalDefinition(definition: Record<string, unknown>): string {
  return opaCanonicalJson(Buffer.from(JSON.stringify(definition), 'utf8'));
}

export function definitionDigest(definition: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalDefinition(definition), 'utf8').digest('hex')}`;
}
