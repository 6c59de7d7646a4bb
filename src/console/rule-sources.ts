// Where each deny reason's rule is written in a bundle's Rego sources (an
// `opa build` bundle carries them beside policy.wasm): the lines holding
// `"rule": "<id>"`, with file, row and source line, as `hatago policy
// explain` prints them. A rule id built at run time is not found (the
// console says so); sources the bundle lacks give an empty index.
import type { BundleFiles } from '../policy/bundle/types.js';

export interface RuleLocation {
  file: string;
  row: number;
  source: string;
}

export type RuleIndex = ReadonlyMap<string, RuleLocation[]>;

const RULE_LITERAL = /"rule"\s*:\s*"([^"\\]{1,200})"/g;
const MAX_SOURCE = 140;

export function ruleIndex(files: BundleFiles['files']): RuleIndex {
  const out = new Map<string, RuleLocation[]>();
  const decoder = new TextDecoder();
  for (const [file, bytes] of files) {
    if (!file.endsWith('.rego') || file.endsWith('_test.rego')) continue;
    const lines = decoder.decode(bytes).split('\n');
    lines.forEach((line, i) => {
      if (line.trimStart().startsWith('#')) return;
      for (const m of line.matchAll(RULE_LITERAL)) {
        const rule = m[1]!;
        const trimmed = line.trim();
        const loc = { file, row: i + 1, source: trimmed.length > MAX_SOURCE ? `${trimmed.slice(0, MAX_SOURCE - 3)}...` : trimmed };
        const list = out.get(rule);
        if (list) list.push(loc);
        else out.set(rule, [loc]);
      }
    });
  }
  return out;
}

/** Each reason with the places its rule is written (empty when the sources do not name it literally). */
export function locate(reasons: readonly { rule: string; message: string }[], index: RuleIndex | null): { rule: string; message: string; locations: RuleLocation[] | null }[] {
  return reasons.map((r) => ({ rule: r.rule, message: r.message, locations: index ? (index.get(r.rule) ?? []) : null }));
}
