// Turns what opa-wasm returns into a PolicyDecision, failing closed on
// anything that is not a well-formed decision object.
import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import type { PolicyDecision, PolicyReason } from './types.js';

/** A decision that could not be made: deny, and say why (for the log). */
export function failClosed(message: string, raw: unknown = undefined): PolicyDecision {
  return { allow: false, code: 'ERR_POLICY_EVALUATION', reasons: [{ rule: 'engine', message }], raw };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toCode(v: unknown): ErrorCode {
  // A code the policy made up must not reach clients: only known codes pass.
  return typeof v === 'string' && Object.hasOwn(ERROR_CODES, v) ? (v as ErrorCode) : 'ERR_PERMISSION_DENIED';
}

function toReasons(v: unknown): PolicyReason[] {
  if (!Array.isArray(v)) return [];
  return v.map((r): PolicyReason => {
    if (isObject(r)) {
      return { rule: typeof r.rule === 'string' ? r.rule : 'policy', message: typeof r.message === 'string' ? r.message : JSON.stringify(r) };
    }
    return { rule: 'policy', message: typeof r === 'string' ? r : JSON.stringify(r) };
  });
}

/** Why a result set is not a decision, or null when it is one. */
function malformed(resultSet: unknown): string | null {
  if (!Array.isArray(resultSet) || resultSet.length === 0) return 'policy decision is undefined';
  if (resultSet.length > 1) return 'policy returned more than one result';
  const first: unknown = resultSet[0];
  const result = isObject(first) ? first.result : undefined;
  if (result === undefined) return 'policy decision is undefined';
  if (!isObject(result)) return `policy decision is not an object (${Array.isArray(result) ? 'array' : result === null ? 'null' : typeof result})`;
  if (typeof result.allow !== 'boolean') {
    return `policy decision allow is not a boolean (${result.allow === undefined ? 'missing' : typeof result.allow})`;
  }
  return null;
}

/**
 * Reads opa-wasm's result set (`[{ result: <decision> }]`, or `[]` when the
 * decision is undefined). Returns the decision, or the reason it is not one.
 */
export function readDecision(resultSet: unknown): { decision: PolicyDecision; failure?: string } {
  const failure = malformed(resultSet);
  const raw: unknown = Array.isArray(resultSet) && isObject(resultSet[0]) ? resultSet[0].result : resultSet;
  if (failure !== null) return { decision: failClosed(failure, raw), failure };
  const result = raw as Record<string, unknown>;

  const decision: PolicyDecision = {
    allow: result.allow === true, // checked boolean above
    code: toCode(result.code),
    reasons: toReasons(result.reasons),
    raw: result,
  };
  if (Array.isArray(result.visible)) decision.visible = result.visible.filter((n): n is string => typeof n === 'string');
  if (typeof result.client_ip === 'string') decision.clientIp = result.client_ip;
  return { decision };
}

/** readDecision without the reason: malformed results are a fail-closed deny. */
export function toPolicyDecision(resultSet: unknown): PolicyDecision {
  return readDecision(resultSet).decision;
}
