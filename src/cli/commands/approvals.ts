import type { Command } from 'commander';
import { ERROR_CODES, HatagoError, type ErrorCode } from '../../errors/index.js';
import type { PendingApproval } from '../../approval/approval-queue.js';
import { fetchHub, hubBaseUrl, readRefusal } from '../hub-client.js';
import { runCommand } from '../run-command.js';
import { escapeText, printOut, terminalJson } from '../terminal.js';

interface ApprovalsOptions {
  config?: string;
  url?: string;
  json?: boolean;
  note?: string;
}

const HELP_AFTER = `
Calls the policy holds for approval (docs/approvals.md) wait in the running
hub. These commands talk to its /admin/approvals endpoint with the bearer token
in HATAGO_AUTH_TOKEN: listing needs admin:approvals:read, deciding
admin:approvals:write and, when the policy named approvers, one of their roles.
  export HATAGO_AUTH_TOKEN=$(hatago token --sub ops --roles admin --config hatago.config.json)
  hatago approvals list --config hatago.config.json
  hatago approvals approve 6f1c... --note "checked with the requester"`;

const known = (code: unknown): ErrorCode | undefined => (typeof code === 'string' && code in ERROR_CODES ? (code as ErrorCode) : undefined);

async function call(opts: ApprovalsOptions, path: string, init: RequestInit = {}): Promise<unknown> {
  const base = hubBaseUrl(opts);
  const url = new URL(path, base);
  const token = process.env.HATAGO_AUTH_TOKEN;
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined && { 'content-type': 'application/json' }) };
  const res = await fetchHub(base, url, { ...init, headers });
  const text = await res.text();
  if (!res.ok) {
    const r = readRefusal(text);
    if (res.status === 401 && !token) throw new HatagoError('ERR_UNAUTHENTICATED', { message: `${url.origin}${url.pathname} requires authentication: set HATAGO_AUTH_TOKEN to a bearer token the hub accepts` });
    throw new HatagoError(known(r.code) ?? 'ERR_INVALID_REQUEST', { message: `${url.origin}${url.pathname} answered ${res.status}: ${r.message ?? ''}`.trimEnd() });
  }
  return JSON.parse(text) as unknown;
}

function line(a: PendingApproval): string {
  const who = a.requestedBy ?? 'anonymous';
  const approvers = a.approvers.length > 0 ? a.approvers.join(',') : 'the caller';
  return `${a.id}  ${a.server}/${a.name ?? a.method}  by ${who}  via ${a.channel}  approvers ${approvers}  expires ${a.expiresAt}\n    ${a.reason}\n    arguments ${a.argumentsDigest} ${JSON.stringify(a.arguments)}`;
}

/** `hatago approvals list|approve|deny`: held calls in the running hub. */
export function registerApprovalsCommand(program: Command): Command {
  const cmd = program.command('approvals').description('list, approve or deny the calls the running hub holds for approval (docs/approvals.md); the token comes from HATAGO_AUTH_TOKEN');
  const common = (c: Command) => c
    .option('--config <file>', 'config of the running hub (its http.host and http.port)')
    .option('--url <url>', 'base URL of the hub (overrides the config), e.g. http://127.0.0.1:3000');
  common(cmd.command('list').description('the held calls, oldest first').option('--json', 'as JSON'))
    .addHelpText('after', HELP_AFTER)
    .action(runCommand(async (opts: ApprovalsOptions) => {
      const { approvals } = (await call(opts, '/admin/approvals')) as { approvals: PendingApproval[] };
      if (opts.json) return printOut(terminalJson(approvals, 2));
      // Reasons, names and arguments come from policies, upstreams and clients: escaped for the terminal.
      printOut(approvals.length === 0 ? 'no calls are waiting for approval' : approvals.map((a) => escapeText(line(a))).join('\n'));
    }));
  for (const [verb, decision] of [['approve', 'approve'], ['deny', 'deny']] as const) {
    common(cmd.command(`${verb} <id>`).description(`${verb} one held call`).option('--note <text>', 'a note for the audit record (256 characters at most)'))
      .addHelpText('after', HELP_AFTER)
      .action(runCommand(async (id: string, opts: ApprovalsOptions) => {
        const out = (await call(opts, `/admin/approvals/${encodeURIComponent(id)}`, {
          method: 'POST',
          body: JSON.stringify({ decision, ...(opts.note !== undefined && { note: opts.note }) }),
        })) as { id: string; outcome: string };
        printOut(escapeText(`${out.id} ${out.outcome}`));
      }));
  }
  return cmd;
}
