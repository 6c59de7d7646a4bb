import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { HatagoError } from '../errors/index.js';
import { sanitizerPatternProblems } from '../log/from-config.js';
import { packagePath } from '../util/package-root.js';
import { decisionLogServiceProblems } from './decision-log-service.js';
import { serverLimits, serverLimitsProblem } from './server-limits.js';
import type { HttpConfig } from './types.js';

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

/**
 * Origins that must never be combined with `credentials: true`: `*` lets any
 * site make credentialed calls (the hub echoes the Origin), `null` is the
 * origin of sandboxed frames and local files, which any page can produce.
 */
const UNSAFE_CREDENTIAL_ORIGINS = new Set(['*', 'null']);

/** Combinations of valid keys that are unsafe together; one line each, naming the key path. */
function unsafeCombinations(config: unknown): string[] {
  const c = config as { http?: Partial<HttpConfig>; security?: { network?: { cors?: { origin?: unknown; credentials?: unknown } } } } | null;
  const lines: string[] = [];
  const cors = c?.security?.network?.cors;
  const bad = cors?.credentials === true && Array.isArray(cors.origin)
    ? cors.origin.filter((o): o is string => typeof o === 'string' && UNSAFE_CREDENTIAL_ORIGINS.has(o.trim().toLowerCase()))
    : [];
  if (bad.length > 0) lines.push(`security.network.cors: origin ${JSON.stringify(bad[0])} cannot be combined with credentials: true (any site could make credentialed requests); list the allowed origins`);
  const limits = serverLimitsProblem(serverLimits(c?.http));
  if (limits !== undefined) lines.push(limits);
  lines.push(...decisionLogServiceProblems(config));
  return lines;
}

/**
 * Validates a parsed config against the shipped JSON schema, then refuses
 * unsafe combinations of valid keys; throws ERR_CONFIG_INVALID naming every
 * bad key path. `hatago serve` and `hatago config validate` both call it.
 */
export function validateConfig(config: unknown, source: string): void {
  const validate = compiled();
  let lines: string[];
  if (validate(config)) {
    // What the schema cannot say: settings that cannot work together, and
    // masking patterns that cannot run in linear time.
    lines = [...unsafeCombinations(config), ...sanitizerPatternProblems(config as { security?: { logging?: unknown } })];
    if (lines.length === 0) return;
  } else {
    // oneOf failures drag along their branch errors; keep the summary line only.
    const errors = (validate.errors ?? []).filter((e) => !/^\/mcpServers\/[^/]+$/.test(e.instancePath) || e.keyword === 'oneOf' || e.keyword === 'additionalProperties');
    lines = [...new Set(errors.map(describe))];
  }
  throw new HatagoError('ERR_CONFIG_INVALID', {
    message: `Invalid config ${source}:\n  ${lines.join('\n  ')}`,
    data: { errors: lines },
  });
}
