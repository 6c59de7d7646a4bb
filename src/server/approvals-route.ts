// GET /admin/approvals and POST /admin/approvals/:id (docs/approvals.md):
// held calls for approvers out of band (`hatago approvals`). The same
// network and authentication stages as /mcp, then the policy decides:
// method admin/approvals to list, admin/approvals/decide (with the held
// call's approvers) to approve or deny one. Bearer tokens only, no cookies:
// nothing a browser sends on its own can decide.

import { Router, type Request, type Response } from 'express';
import { HatagoError } from '../errors/index.js';
import { readJsonBody } from '../http/body.js';
import { writeHttpError, writeJson } from '../http/respond.js';
import type { CallerContext, GuardRequest } from '../hub/types.js';
import { callerOf, type HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import type { ApprovalQueue } from '../approval/approval-queue.js';

/** Hub.admit with the request's extra facts (admin/approvals/decide: which call). */
export type AdminAdmit = (ctx: CallerContext, method: string, guard?: Omit<GuardRequest, 'method'>) => Promise<unknown>;

const MAX_DECISION_BODY = 4096;
const MAX_NOTE = 256;

function readVerdict(body: unknown): { outcome: 'approved' | 'denied'; note?: string } {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const decision = b?.decision;
  const note = b?.note;
  if ((decision !== 'approve' && decision !== 'deny') || (note !== undefined && typeof note !== 'string')) {
    throw new HatagoError('ERR_APPROVAL_REQUEST_INVALID');
  }
  return { outcome: decision === 'approve' ? 'approved' : 'denied', ...(typeof note === 'string' && { note: note.slice(0, MAX_NOTE) }) };
}

export function approvalsRoute(queue: ApprovalQueue, front: readonly Stage<HttpExchange>[], admit: AdminAdmit, opts: { observeStages?: StageObserver<unknown> } = {}): Router {
  const stages = new StageRunner(front);
  if (opts.observeStages) stages.observe(opts.observeStages);
  const callerFor = async (req: Request, res: Response): Promise<{ ctx: CallerContext; headers: Record<string, string> }> => {
    const x: HttpExchange = { req, res };
    await stages.run(x);
    const base = callerOf(x);
    const headers: Record<string, string> = {};
    return { ctx: { transport: 'http', protocolVersion: 'none', client: base.client, principal: base.principal, responseHeaders: headers }, headers };
  };

  const router = Router();
  router.get('/', async (req, res) => {
    try {
      const { ctx, headers } = await callerFor(req, res);
      await admit(ctx, 'admin/approvals');
      writeJson(res, 200, { approvals: queue.list() }, headers);
    } catch (err) {
      writeHttpError(res, err);
    }
  });
  router.post('/:id', async (req, res) => {
    try {
      const { ctx, headers } = await callerFor(req, res);
      const id = String(req.params.id);
      const item = queue.get(id);
      if (!item) {
        // Only a caller who may list approvals learns that an id is unknown.
        await admit(ctx, 'admin/approvals');
        throw new HatagoError('ERR_APPROVAL_NOT_FOUND', { data: { id: id.slice(0, 64) } });
      }
      await admit(ctx, 'admin/approvals/decide', {
        approval: { id: item.id, approvers: item.approvers, requested_by: item.requestedBy, server: item.server, name: item.name },
      });
      const verdict = readVerdict(await readJsonBody(req, MAX_DECISION_BODY));
      // Decided meanwhile (by the client, another approver, or its timeout): nothing is pending any more.
      if (!queue.decide(id, { ...verdict, by: ctx.principal?.sub ?? null, channel: 'out_of_band' })) {
        throw new HatagoError('ERR_APPROVAL_NOT_FOUND', { data: { id: id.slice(0, 64) } });
      }
      writeJson(res, 200, { id, outcome: verdict.outcome }, headers);
    } catch (err) {
      writeHttpError(res, err);
    }
  });
  return router;
}
