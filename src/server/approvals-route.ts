// GET /admin/approvals and POST /admin/approvals/:id (docs/approvals.md):
// held calls for approvers out of band (`hatago approvals`; the console's
// Approvals view decides through the same decideOutOfBand). The same
// network and authentication stages as /mcp, then the policy decides:
// method admin/approvals to list, admin/approvals/decide (with the held
// call's approvers) to approve or deny one. Bearer tokens only, no cookies:
// nothing a browser sends on its own can decide.

import { Router, type Request, type Response } from 'express';
import { writeHttpError, writeJson } from '../http/respond.js';
import type { CallerContext } from '../hub/types.js';
import { callerOf, type HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import type { ApprovalQueue } from '../approval/approval-queue.js';
import { decideOutOfBand, type AdminAdmit } from '../approval/out-of-band.js';

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
      writeJson(res, 200, await decideOutOfBand(queue, admit, ctx, String(req.params.id), req), headers);
    } catch (err) {
      writeHttpError(res, err);
    }
  });
  return router;
}
