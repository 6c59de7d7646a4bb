// The decision log's line format, and the reader `hatago policy diff` uses
// to replay it (or audit records that carry `metadata.input`).
import type { DecisionEvent } from '../../pipeline/policy-guard.js';

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

/**
 * Reads one line: a decision record (`input`) or an audit record
 * (`metadata.input`). Returns null for lines that carry no input (other
 * audit events, blank lines); throws on a line that is not JSON.
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
  if (!isObject(v)) return null;
  const metadata = isObject(v.metadata) ? v.metadata : undefined;
  const input = isObject(v.input) ? v.input : isObject(metadata?.input) ? metadata.input : undefined;
  if (!input) return null;
  const id = typeof v.decisionId === 'string' ? v.decisionId : typeof metadata?.decisionId === 'string' ? metadata.decisionId : `line-${line}`;
  return { decisionId: id, line, input };
}
