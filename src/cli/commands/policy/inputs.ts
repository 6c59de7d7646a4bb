// Reading the files `hatago policy eval|explain|diff` take, and the
// `data.config` document built exactly as the hub builds it.
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../../config/index.js';
import type { HatagoConfig } from '../../../config/types.js';
import { HatagoError } from '../../../errors/index.js';
import { decisionInputOf, INPUT_FORMATS, readReplayLine, type ReplayEntry } from '../../../policy/decision-log/index.js';
import { policyData } from '../../../server/policy-data.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function inputError(message: string): HatagoError {
  return new HatagoError('ERR_POLICY_INPUT_INVALID', { message });
}

export async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw inputError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * A decision input, from any record the hub writes (decisionInputOf: a raw
 * policy input, a decision-log line, an audit record), so a logged decision
 * re-runs as it is. One JSON document, or one line of a log.
 */
export async function readDecisionInput(file: string): Promise<Record<string, unknown>> {
  const text = await readText(file, 'input file');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    v = oneLogLine(file, text, (err as Error).message);
  }
  if (!isObject(v)) throw inputError(`input file ${file} must hold a JSON object: ${INPUT_FORMATS}`);
  const found = decisionInputOf(v);
  if (!found) throw inputError(`input file ${file} holds no decision input: expected ${INPUT_FORMATS}`);
  return found.input;
}

/** A file of JSON lines (a copied log) is accepted when exactly one line carries an input. */
function oneLogLine(file: string, text: string, parseError: string): unknown {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) throw inputError(`input file ${file} is not valid JSON: ${parseError}`);
  const found: { line: number; input: Record<string, unknown> }[] = [];
  for (const [i, l] of lines.entries()) {
    let e: ReplayEntry | null;
    try {
      e = readReplayLine(l, i + 1);
    } catch {
      throw inputError(`input file ${file} is not valid JSON: ${parseError}`);
    }
    if (e) found.push(e);
  }
  if (found.length !== 1) {
    throw inputError(`input file ${file} holds ${found.length} decision inputs: eval and explain take one (copy one line, e.g. sed -n 5p), diff --replay takes a whole log`);
  }
  return found[0]!.input;
}

export interface RuntimeConfig {
  config: HatagoConfig;
  /** Config file, or `embedded`. */
  source: string;
  /** `data.config` as the hub sets it. */
  data: Record<string, unknown>;
}

export async function loadRuntimeConfig(path: string | undefined): Promise<RuntimeConfig> {
  const { config, source } = await loadConfig(path !== undefined ? { path } : {});
  return { config, source, data: policyData(config) };
}

export function parseFormat(v: string | undefined): 'json' | 'text' {
  if (v === undefined || v === 'json' || v === 'text') return v ?? 'json';
  throw inputError(`--format must be json or text, got "${v}"`);
}
