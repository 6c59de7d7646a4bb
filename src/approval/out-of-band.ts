// An out-of-band verdict on a held call (docs/approvals.md): the one code
// path of POST /admin/approvals/:id (`hatago approvals approve|deny`) and of
// the console's Approve/Deny (POST /console/api/approvals/:id). The policy
// decides who may (admin/approvals/decide, with the held call's approvers in
// input.request.approval); the body is read only after it allowed.

import type { IncomingMessage } from 'node:http';
import { HatagoError } from '../errors/index.js';
import { readJsonBody } from '../http/body.js';
import type { CallerContext, GuardRequest } from '../hub/types.js';
import type { ApprovalQueue } from './approval-queue.js';

/** Hub.admit with the request's extra facts (admin/approvals/decide: which call). */
export type AdminAdmit = (ctx: CallerContext, method: string, guard?: Omit<GuardRequest, 'method'>) => Promise<unknown>;

/** Largest body of a verdict (413 above). */
export const MAX_DECISION_BODY = 4096;
/** A note longer than this is cut. */
export const MAX_NOTE = 256;

function readVerdict(body: unknown): { outcome: 'approved' | 'denied'; note?: string } {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const decision = b?.decision;
  const note = b?.note;
  if ((decision !== 'approve' && decision !== 'deny') || (note !== undefined && typeof note !== 'string')) {
    throw new HatagoError('ERR_APPROVAL_REQUEST_INVALID');
  }
  return { outcome: decision === 'approve' ? 'approved' : 'denied', ...(typeof note === 'string' && { note: note.slice(0, MAX_NOTE) }) };
}

const notFound = (id: string) => new HatagoError('ERR_APPROVAL_NOT_FOUND', { data: { id: id.slice(0, 64) } });

/**
 * Decides held call `id` with the verdict in `req`'s JSON body
 * (`{"decision": "approve"|"deny", "note"?}`), as `ctx`'s principal, channel
 * out_of_band. Throws ERR_APPROVAL_NOT_FOUND (told only to a caller the
 * policy lets list approvals), the policy's ERR_PERMISSION_DENIED, or the
 * body's errors (415, 413, ERR_PARSE, ERR_APPROVAL_REQUEST_INVALID).
 */
export async function decideOutOfBand(queue: ApprovalQueue, admit: AdminAdmit, ctx: CallerContext, id: string, req: IncomingMessage): Promise<{ id: string; outcome: 'approved' | 'denied' }> {
  const item = queue.get(id);
  if (!item) {
    // Only a caller who may list approvals learns that an id is unknown.
    await admit(ctx, 'admin/approvals');
    throw notFound(id);
  }
  await admit(ctx, 'admin/approvals/decide', {
    approval: { id: item.id, approvers: item.approvers, requested_by: item.requestedBy, server: item.server, name: item.name },
  });
  const verdict = readVerdict(await readJsonBody(req, MAX_DECISION_BODY));
  // Decided meanwhile (by the client, another approver, or its timeout): nothing is pending any more.
  if (!queue.decide(id, { ...verdict, by: ctx.principal?.sub ?? null, channel: 'out_of_band' })) throw notFound(id);
  return { id, outcome: verdict.outcome };
}
