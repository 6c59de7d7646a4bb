// Obtains the approval a decision asked for (docs/approvals.md): the call is
// held in the queue, asked of the caller by MCP elicitation when the policy
// left the approvers empty and the client can be asked, else left for an
// approver out of band (`hatago approvals`, POST /admin/approvals/:id).
// Every step is an audit record that names the decision.

import { HatagoError } from '../errors/index.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { definitionDigest } from '../pinning/definition.js';
import type { McpExchange, UpstreamCall } from '../pipeline/mcp-exchange.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import type { ApprovalRequest } from '../policy/types.js';
import type { ApprovalChannel, ApprovalQueue, ApprovalVerdict, PendingApproval } from './approval-queue.js';

export interface ApprovalsOptions {
  queue: ApprovalQueue;
  /** Audit sink: each verdict is recorded before the caller hears it (a failure fails the call closed). */
  events?: SecurityEventSink;
  logger?: Logger;
  /** Upper bound on a decision's timeout_s, in ms. Default 600000 (10 min). */
  maxTimeoutMs?: number;
  /** What approvers see of the arguments (the secret sanitizer). Default: nothing. */
  mask?: (v: unknown) => unknown;
}

export const DEFAULT_MAX_APPROVAL_TIMEOUT_MS = 600_000;
/** What an approver sees of the arguments, at most (JSON characters). */
const ARGUMENTS_PREVIEW_CHARS = 4096;
const MESSAGE_CHARS = 1024;

/** The digest an approval is bound to: the exact request that goes upstream. */
export function callDigest(call: UpstreamCall): string {
  return definitionDigest({ server: call.server, method: call.method, params: call.params });
}

function preview(v: unknown, mask: (v: unknown) => unknown): unknown {
  const masked = mask(v);
  const text = JSON.stringify(masked) ?? 'null';
  return text.length <= ARGUMENTS_PREVIEW_CHARS ? masked : { truncated: true, preview: text.slice(0, ARGUMENTS_PREVIEW_CHARS) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The elicitation's form: one required choice, approve or deny. */
const APPROVAL_FORM = {
  type: 'object',
  properties: { decision: { type: 'string', title: 'Decision', enum: ['approve', 'deny'] } },
  required: ['decision'],
} as const;

export class Approvals {
  readonly queue: ApprovalQueue;
  private readonly events: SecurityEventSink | undefined;
  private readonly log: Logger;
  private readonly maxTimeoutMs: number;
  private readonly mask: (v: unknown) => unknown;

  constructor(opts: ApprovalsOptions) {
    this.queue = opts.queue;
    this.events = opts.events;
    this.log = (opts.logger ?? silentLogger).child({ component: 'approval' });
    this.maxTimeoutMs = opts.maxTimeoutMs ?? DEFAULT_MAX_APPROVAL_TIMEOUT_MS;
    this.mask = opts.mask ?? (() => '[not shown]');
  }

  /**
   * Holds the exchange's upstream call until it is approved; returns then.
   * Throws ERR_APPROVAL_DENIED, ERR_APPROVAL_TIMEOUT, ERR_APPROVAL_LIMIT or
   * ERR_AUDIT_UNAVAILABLE.
   */
  async obtain(x: McpExchange, call: UpstreamCall, request: ApprovalRequest, decision: { decisionId: string; revision?: string }): Promise<void> {
    const ctx = x.caller;
    const relay = ctx.relay;
    // The policy named no approvers: the caller confirms, when its client can be asked.
    const askClient = request.approvers.length === 0 && relay !== undefined && isObject(relay.capabilities) && relay.capabilities.elicitation !== undefined;
    const channel: ApprovalChannel = askClient ? 'client' : 'out_of_band';
    const timeoutMs = Math.max(1, Math.min(request.timeoutS * 1000, this.maxTimeoutMs));
    const { item, verdict } = this.queue.hold({
      decisionId: decision.decisionId,
      revision: decision.revision ?? null,
      requestedBy: ctx.principal?.sub ?? null,
      sessionId: ctx.sessionId ?? null,
      method: call.method,
      server: call.server,
      name: x.plan.guard.exposed ?? null,
      reason: request.reason,
      approvers: request.approvers,
      rules: request.rules,
      channel,
      argumentsDigest: callDigest(call),
      arguments: preview(call.params.arguments ?? null, this.mask),
    }, timeoutMs, ctx.signal);
    this.log.info('call held for approval', { approvalId: item.id, decisionId: item.decisionId, server: item.server, name: item.name, channel, timeoutMs });

    const asking = new AbortController();
    if (askClient) this.askClient(x, item, asking.signal);
    const v = await verdict;
    asking.abort('decided');
    await this.record(x, item, v);

    if (v.outcome === 'approved') {
      // Approved are the arguments the approver saw: nothing may have changed them meanwhile.
      if (callDigest(call) !== item.argumentsDigest) throw new HatagoError('ERR_APPROVAL_DENIED', { data: { decisionId: item.decisionId, approvalId: item.id, reason: 'arguments_changed' } });
      return;
    }
    const data = { decisionId: item.decisionId, approvalId: item.id };
    if (v.outcome === 'timeout') throw new HatagoError('ERR_APPROVAL_TIMEOUT', { data });
    throw new HatagoError('ERR_APPROVAL_DENIED', { data });
  }

  /** Asks the caller by elicitation; its answer (or failure to answer) is the verdict. */
  private askClient(x: McpExchange, item: PendingApproval, signal: AbortSignal): void {
    const message = `Approve ${item.name ?? item.method} on ${item.server}? ${item.reason}`.slice(0, MESSAGE_CHARS);
    const by = x.caller.principal?.sub ?? 'client';
    x.caller.relay!.request('elicitation/create', { message, requestedSchema: APPROVAL_FORM }, signal).then(
      (answer) => {
        const approved = answer.action === 'accept' && isObject(answer.content) && answer.content.decision === 'approve';
        this.queue.decide(item.id, { outcome: approved ? 'approved' : 'denied', by, channel: 'client', ...(!approved && { note: String(answer.action ?? 'no action') }) });
      },
      (err: unknown) => {
        if (signal.aborted) return; // decided elsewhere meanwhile
        // The client could not be asked (no stream, its relay slots full, an error): the call stays
        // held for an approver out of band, until its timeout; a failing client never approves.
        this.log.warn('approval elicitation failed; the call waits for an approver out of band', { approvalId: item.id, error: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  private async record(x: McpExchange, item: PendingApproval, v: ApprovalVerdict): Promise<void> {
    if (!this.events) return;
    const event = v.outcome === 'approved' ? 'approval_granted' : v.outcome === 'timeout' ? 'approval_timeout' : 'approval_denied';
    try {
      await this.events({
        event,
        ...(v.outcome !== 'approved' && { level: 'warn' as const }),
        user: item.requestedBy,
        sessionId: item.sessionId,
        ip: x.caller.client.ip,
        userAgent: x.caller.client.userAgent,
        decisionId: item.decisionId,
        ...(item.revision !== null && { revision: item.revision }),
        metadata: {
          approvalId: item.id,
          outcome: v.outcome,
          by: v.by,
          channel: v.channel ?? item.channel,
          server: item.server,
          name: item.name,
          method: item.method,
          rules: item.rules,
          argumentsDigest: item.argumentsDigest,
          ...(v.note !== undefined && { note: v.note }),
        },
      });
    } catch {
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE', { data: { decisionId: item.decisionId } });
    }
  }
}
