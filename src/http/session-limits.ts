import { HatagoError } from '../errors/index.js';

/** What the policy's initialize decision says of sessions (`session_limits`, docs/sessions.md). */
export interface SessionLimits {
  maxPerPrincipal: number;
  maxTotal: number;
  idleTimeoutMs: number;
}

/** The shipped policy's defaults; used only with a bundle that predates `session_limits`. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxPerPrincipal: 32, maxTotal: 10_000, idleTimeoutMs: 1_800_000 };

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/**
 * `session_limits` from the initialize decision's output. Absent: the
 * defaults (a contract-1 bundle without the key). Present but malformed: a
 * policy error, the session is refused (fail closed).
 */
export function readSessionLimits(output: unknown, decisionId: string | undefined): SessionLimits {
  const raw = (output as { session_limits?: unknown } | undefined)?.session_limits;
  if (raw === undefined) return DEFAULT_SESSION_LIMITS;
  const l = raw as { max_per_principal?: unknown; max_total?: unknown; idle_timeout_ms?: unknown };
  if (typeof raw !== 'object' || raw === null || !positive(l.max_per_principal) || !positive(l.max_total) || !positive(l.idle_timeout_ms)) {
    throw new HatagoError('ERR_POLICY_EVALUATION', { data: { ...(decisionId !== undefined && { decisionId }) }, detail: 'malformed session_limits' });
  }
  return { maxPerPrincipal: l.max_per_principal, maxTotal: l.max_total, idleTimeoutMs: l.idle_timeout_ms };
}
