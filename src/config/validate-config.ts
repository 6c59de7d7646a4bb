import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { HatagoError } from '../errors/index.js';
import { sanitizerPatternProblems } from '../log/from-config.js';
import { packagePath } from '../util/package-root.js';

export const CONFIG_SCHEMA_PATH = packagePath('schema', 'hatago.config.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;

function compiled() {
  if (!validator) {
    const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as object;
    validator = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
  }
  return validator;
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return `${at === '/' ? '' : at}/${key}: unknown key "${key}"`;
  }
  if (e.keyword === 'enum') {
    return `${at}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  }
  if (e.keyword === 'oneOf' && /^\/mcpServers\/[^/]+$/.test(at)) {
    return `${at}: a server needs exactly one of "command" (local) or "url" (remote)`;
  }
  return `${at}: ${e.message ?? 'is invalid'}`;
}

/** Validates a parsed config against the shipped JSON schema; throws ERR_CONFIG_INVALID naming every bad key path. */
export function validateConfig(config: unknown, source: string): void {
  const validate = compiled();
  if (validate(config)) {
    // What the schema cannot say: masking patterns must run in linear time.
    const lines = sanitizerPatternProblems(config as { security?: { logging?: unknown } });
    if (lines.length > 0) throw new HatagoError('ERR_CONFIG_INVALID', { message: `Invalid config ${source}:\n  ${lines.join('\n  ')}`, data: { errors: lines } });
    return;
  }
  // oneOf failures drag along their branch errors; keep the summary line only.
  const errors = (validate.errors ?? []).filter((e) => !/^\/mcpServers\/[^/]+$/.test(e.instancePath) || e.keyword === 'oneOf' || e.keyword === 'additionalProperties');
  const lines = [...new Set(errors.map(describe))];
  throw new HatagoError('ERR_CONFIG_INVALID', {
    message: `Invalid config ${source}:\n  ${lines.join('\n  ')}`,
    data: { errors: lines },
  });
}
