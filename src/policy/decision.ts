// Turns what opa-wasm returns into a PolicyDecision, failing closed on
// anything that is not a well-formed decision object.
import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import type { ApprovalRequest, PolicyDecision, PolicyReason } from './types.js';

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

/** Bounds on what a decision may ask of the runtime (a policy is data too). */
export const DECISION_LIMITS = { reasonChars: 1024, approvers: 32, labels: 16, labelChars: 64 } as const;

const isStrings = (v: unknown, max: number): v is string[] => Array.isArray(v) && v.length <= max && v.every((x) => typeof x === 'string');

/** `approval`: absent, a well-formed request, or a reason it is malformed. */
function toApproval(v: unknown): ApprovalRequest | undefined | string {
  if (v === undefined) return undefined;
  if (!isObject(v)) return 'policy decision approval is not an object';
  const { reason, approvers, timeout_s: timeout, rules } = v;
  if (typeof reason !== 'string') return 'policy decision approval.reason is not a string';
  if (!isStrings(approvers, DECISION_LIMITS.approvers)) return `policy decision approval.approvers is not a list of at most ${DECISION_LIMITS.approvers} role names`;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) return 'policy decision approval.timeout_s is not a positive number';
  if (rules !== undefined && !isStrings(rules, 64)) return 'policy decision approval.rules is not a list of rule names';
  return { reason: reason.slice(0, DECISION_LIMITS.reasonChars), approvers: [...approvers], timeoutS: timeout, rules: rules ? [...rules] : [] };
}

function toLabels(v: unknown): string[] | undefined | string {
  if (v === undefined) return undefined;
  if (!isStrings(v, DECISION_LIMITS.labels) || v.some((l) => l.length > DECISION_LIMITS.labelChars)) {
    return `policy decision flow_labels is not a list of at most ${DECISION_LIMITS.labels} labels of at most ${DECISION_LIMITS.labelChars} characters`;
  }
  return [...v];
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
export function readDecision(resultSet: unknown, translate?: (r: Record<string, unknown>) => Record<string, unknown>): { decision: PolicyDecision; failure?: string } {
  const failure = malformed(resultSet);
  const raw: unknown = Array.isArray(resultSet) && isObject(resultSet[0]) ? resultSet[0].result : resultSet;
  if (failure !== null) return { decision: failClosed(failure, raw), failure };
  const result = translate ? translate(raw as Record<string, unknown>) : (raw as Record<string, unknown>);

  const decision: PolicyDecision = {
    allow: result.allow === true, // checked boolean above
    code: toCode(result.code),
    reasons: toReasons(result.reasons),
    raw: result,
  };
  // A malformed contract-2 field fails the decision closed: half an approval is no approval.
  const approval = toApproval(result.approval);
  const labels = toLabels(result.flow_labels);
  for (const bad of [approval, labels]) if (typeof bad === 'string') return { decision: failClosed(bad, raw), failure: bad };
  if (approval !== undefined && typeof approval !== 'string') {
    if (decision.allow) return { decision: failClosed('policy decision allows and asks for approval', raw), failure: 'policy decision allows and asks for approval' };
    decision.approval = approval;
  }
  if (labels !== undefined && typeof labels !== 'string') decision.flowLabels = labels;
  if (Array.isArray(result.visible)) decision.visible = result.visible.filter((n): n is string => typeof n === 'string');
  if (typeof result.client_ip === 'string') decision.clientIp = result.client_ip;
  return { decision };
}

/** readDecision without the reason: malformed results are a fail-closed deny. */
export function toPolicyDecision(resultSet: unknown): PolicyDecision {
  return readDecision(resultSet).decision;
}
