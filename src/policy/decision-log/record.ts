// The decision log's line format, and the reader `hatago policy diff` uses
// to replay it (or audit records that carry `metadata.input`, or raw inputs).
import type { DecisionEvent } from '../../pipeline/policy/policy-guard.js';

/** One line of the decision log (JSON). */
export interface DecisionRecord {
  decisionId: string;
  revision: string;
  timestamp: string;
  /** The policy input, secrets masked. */
  input: Record<string, unknown>;
  result: DecisionEvent['result'];
}

/** A recorded input to replay, from either a decision log or an audit log. */
export interface ReplayEntry {
  decisionId: string;
  /** 1-based line in the replay file. */
  line: number;
  input: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The record kinds a decision input is taken from (docs/policy-workflow.md). */
export const INPUT_FORMATS = 'a policy input (with "stage"), a decision-log line ("input") or an audit record ("metadata.input")';

/**
 * The policy input inside any record the hub writes: a raw policy input
 * (it has `stage`), a decision-log line (`input`) or an audit record
 * (`metadata.input`). `policy eval`, `explain` and `diff` all read through
 * this one function, so they agree on every line. Null when the record
 * carries no input (other audit events).
 */
export function decisionInputOf(v: unknown): { input: Record<string, unknown>; decisionId?: string } | null {
  if (!isObject(v)) return null;
  const metadata = isObject(v.metadata) ? v.metadata : undefined;
  const input = 'stage' in v ? v : isObject(v.input) ? v.input : isObject(metadata?.input) ? metadata.input : undefined;
  if (!input) return null;
  const id = typeof v.decisionId === 'string' ? v.decisionId : typeof metadata?.decisionId === 'string' ? metadata.decisionId : undefined;
  return { input, ...(id !== undefined && { decisionId: id }) };
}

/**
 * Reads one line of a replay file through `decisionInputOf`. Returns null
 * for lines that carry no input (other audit events, blank lines); throws on
 * a line that is not JSON.
 */
export function readReplayLine(text: string, line: number): ReplayEntry | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(trimmed);
  } catch {
    throw new Error(`line ${line} is not JSON`);
  }
  const found = decisionInputOf(v);
  if (!found) return null;
  return { decisionId: found.decisionId ?? `line-${line}`, line, input: found.input };
}
