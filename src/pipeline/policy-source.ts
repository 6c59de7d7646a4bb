import type { ApprovalRequest } from '../policy/types.js';
import type { ErrorCode } from '../errors/index.js';

/** What the pipeline needs of a loaded policy (src/policy's PolicyEngine fits). */
export interface PolicyDecider {
  readonly revision: string;
  decide(input: object): {
    allow: boolean;
    code: ErrorCode;
    reasons: { rule: string; message: string }[];
    visible?: string[];
    clientIp?: string;
    /** Contract 2: held for approval (see PolicyDecision). */
    approval?: ApprovalRequest;
    flowLabels?: string[];
    /** The whole decision object, for stages that read more than allow/deny. */
    raw?: unknown;
  };
}

/**
 * Where the active policy is read from. A request reads it once, at its
 * start, so a hot reload never mixes two policies within one decision.
 */
export interface PolicySource {
  current(): PolicyDecider;
}
