// Reading the files `hatago policy eval|explain|diff` take, and the
// `data.config` document built exactly as the hub builds it.
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../../config/index.js';
import type { HatagoConfig } from '../../../config/types.js';
import { HatagoError } from '../../../errors/index.js';
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
 * A decision input: the JSON object the policy sees, or a decision-log line
 * (whose `input` is taken), so a logged decision can be re-run as it is.
 */
export async function readDecisionInput(file: string): Promise<Record<string, unknown>> {
  const text = await readText(file, 'input file');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw inputError(`input file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(v)) throw inputError(`input file ${file} must hold a JSON object`);
  if (!('stage' in v) && isObject(v.input)) return v.input;
  return v;
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
