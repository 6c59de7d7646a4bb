import type { ErrorCode } from '../errors/index.js';

/** One rule's account of why it denied (contract v1 `reasons[]`). */
export interface PolicyReason {
  rule: string;
  message: string;
}

/**
 * What the policy decided, normalized. Only `allow === true` lets a request
 * through; a missing, malformed or failed decision arrives here as a deny
 * with code ERR_POLICY_EVALUATION.
 */
export interface PolicyDecision {
  allow: boolean;
  /** The code to answer a deny with (meaningful only when allow is false). */
  code: ErrorCode;
  reasons: PolicyReason[];
  /** List methods: exposed names the caller may see. Absent: show nothing. */
  visible?: string[];
  /** Effective client address the network stage settled on (`client_ip`). */
  clientIp?: string;
  /**
   * Contract 2: the request is held for approval (allow false, code
   * ERR_APPROVAL_REQUIRED). Only the MCP request path can hold; everywhere
   * else it is the deny it says.
   */
  approval?: ApprovalRequest;
  /** Contract 2, tools/call: labels the runtime records in the session's flow history. */
  flowLabels?: string[];
  /** The decision object as the policy returned it, for later stages (rate limits...). */
  raw: unknown;
}

/** `approval` in a decision (docs/approvals.md). */
export interface ApprovalRequest {
  reason: string;
  /** Roles that may approve; empty: the caller itself, or anyone holding admin:approvals:write. */
  approvers: string[];
  timeoutS: number;
  /** The rules that asked for it. */
  rules: string[];
}
