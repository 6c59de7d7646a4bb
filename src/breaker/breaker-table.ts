import { HatagoError } from '../errors/index.js';
import { ERROR_KINDS, SEVERITIES } from './defaults.js';
import type { BreakerRule, BreakerTable, BreakerTableEntry, ErrorKind, Severity } from './types.js';
import { CONTRACT_VERSION } from '../policy/engine.js';

/** The stage name the main decision routes to `data.hatago.breaker.table`. */
export const BREAKER_TABLE_STAGE = 'breaker_table';

export interface BreakerServer {
  id: string;
  tags?: readonly string[] | undefined;
}

/**
 * The policy input asking for the breaker table of these servers (once at
 * start and on every policy or config reload, never per request).
 */
export function breakerTableInput(servers: readonly BreakerServer[]): {
  contract: typeof CONTRACT_VERSION;
  stage: typeof BREAKER_TABLE_STAGE;
  servers: { id: string; tags: string[] }[];
} {
  return { contract: CONTRACT_VERSION, stage: BREAKER_TABLE_STAGE, servers: servers.map((s) => ({ id: s.id, tags: [...(s.tags ?? [])] })) };
}

/**
 * Checks what the policy answered and returns it typed. `raw` is the table,
 * or a decision carrying it under `breakers` (the suggested shape for stage
 * "breaker_table": `{"allow": true, "reasons": [], "breakers": data.hatago.breaker.table}`,
 * so the engine's decision checks pass). Throws
 * ERR_POLICY_EVALUATION naming the first problem when it is not a table, or
 * when a server asked for is missing: the caller keeps its last good table.
 */
export function parseBreakerTable(raw: unknown, expected: readonly string[] = []): BreakerTable {
  if (isObject(raw) && Object.hasOwn(raw, 'breakers')) raw = raw.breakers;
  if (!isObject(raw)) throw bad('the answer is not an object');
  if (typeof raw.enabled !== 'boolean') throw bad('"enabled" is not a boolean');
  if (!isObject(raw.servers)) throw bad('"servers" is not an object');
  const servers: Record<string, BreakerTableEntry> = {};
  for (const [id, entry] of Object.entries(raw.servers)) servers[id] = parseEntry(id, entry);
  for (const id of expected) if (!Object.hasOwn(servers, id)) throw bad(`server "${id}" is missing`);
  return { enabled: raw.enabled, servers };
}

function parseEntry(id: string, entry: unknown): BreakerTableEntry {
  if (!isObject(entry) || !isObject(entry.rule) || !isObject(entry.severity)) throw bad(`servers.${id} needs "rule" and "severity" objects`);
  const r = entry.rule;
  if (typeof r.name !== 'string') throw bad(`servers.${id}.rule.name is not a string`);
  const rule: BreakerRule = {
    name: r.name,
    failureThreshold: positiveInt(r.failureThreshold, `servers.${id}.rule.failureThreshold`),
    resetTimeoutMs: positiveInt(r.resetTimeoutMs, `servers.${id}.rule.resetTimeoutMs`),
    halfOpenMaxCalls: positiveInt(r.halfOpenMaxCalls, `servers.${id}.rule.halfOpenMaxCalls`),
  };
  const severity = {} as Record<ErrorKind, Severity>;
  for (const kind of ERROR_KINDS) {
    const level = entry.severity[kind];
    if (!SEVERITIES.includes(level as Severity)) throw bad(`servers.${id}.severity.${kind} is not one of ${SEVERITIES.join(', ')}`);
    severity[kind] = level as Severity;
  }
  return { rule, severity };
}

function positiveInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(`${where} is not a positive integer`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(why: string): HatagoError {
  return new HatagoError('ERR_POLICY_EVALUATION', { detail: `breaker table from the policy is malformed: ${why}` });
}
