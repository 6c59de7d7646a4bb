// Reads OPA's JSON trace (`opa eval --explain=full --format=json`) for the
// deny rules that fired: every Exit of a `... contains {"rule": ...}` rule is
// one reason produced, at a file and row of the Rego sources.
import { readFileSync } from 'node:fs';

export interface FiredRule {
  /** The reason's `rule` (e.g. rbac.missing_permission), when it can be read from the trace. */
  rule: string | null;
  /** The partial set the rule adds to (e.g. `deny`). */
  set: string;
  file: string;
  row: number;
  /** The rule's first source line. */
  source?: string;
}

interface Term {
  type: string;
  value: unknown;
}
interface TraceEvent {
  Op?: string;
  Node?: { head?: { name?: string; key?: Term; ref?: Term[] } };
  Location?: { file?: string; row?: number };
  Locals?: { name: string; type: string; value: unknown }[];
}

/** A trace term as JSON, with variables read from the event's locals. */
function termValue(t: Term | undefined, locals: Map<string, Term>, depth = 0): unknown {
  if (!t || depth > 16) return undefined;
  switch (t.type) {
    case 'var':
      return termValue(locals.get(String(t.value)), locals, depth + 1);
    case 'string':
    case 'number':
    case 'boolean':
      return t.value;
    case 'null':
      return null;
    case 'array':
    case 'set':
      return Array.isArray(t.value) ? t.value.map((x) => termValue(x as Term, locals, depth + 1)) : undefined;
    case 'object': {
      if (!Array.isArray(t.value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const pair of t.value as [Term, Term][]) out[String(termValue(pair[0], locals, depth + 1))] = termValue(pair[1], locals, depth + 1);
      return out;
    }
    default:
      return undefined;
  }
}

function sourceLine(file: string, row: number, cache: Map<string, string[] | null>): string | undefined {
  if (!cache.has(file)) {
    try {
      cache.set(file, readFileSync(file, 'utf8').split('\n'));
    } catch {
      cache.set(file, null);
    }
  }
  const line = cache.get(file)?.[row - 1]?.trim();
  return line === undefined ? undefined : line.length > 140 ? `${line.slice(0, 137)}...` : line;
}

/** Partial-set rules that produced an object with a `rule` field, in trace order, without repeats. */
export function firedRules(explanation: unknown, opts: { cwd?: string } = {}): FiredRule[] {
  if (!Array.isArray(explanation)) return [];
  const seen = new Set<string>();
  const cache = new Map<string, string[] | null>();
  const out: FiredRule[] = [];
  for (const e of explanation as TraceEvent[]) {
    const head = e.Node?.head;
    if (e.Op !== 'Exit' || !head?.key || !e.Location?.file) continue;
    const locals = new Map((e.Locals ?? []).map((l) => [l.name, { type: l.type, value: l.value }]));
    const value = termValue(head.key, locals);
    if (typeof value !== 'object' || value === null || !('rule' in value)) continue;
    const rule = typeof (value as { rule: unknown }).rule === 'string' ? (value as { rule: string }).rule : null;
    const row = e.Location.row ?? 0;
    const file = e.Location.file;
    const id = `${rule}@${file}:${row}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const path = opts.cwd && !file.startsWith('/') ? `${opts.cwd}/${file}` : file;
    const fired: FiredRule = { rule, set: head.name ?? 'deny', file, row };
    const src = sourceLine(path, row, cache);
    if (src !== undefined) fired.source = src;
    out.push(fired);
  }
  return out;
}
