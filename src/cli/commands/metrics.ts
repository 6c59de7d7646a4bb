import type { Command } from 'commander';
import { fetchHub, hubBaseUrl, readRefusal } from '../hub-client.js';
import { ERROR_CODES, HatagoError, type ErrorCode } from '../../errors/index.js';
import { runCommand } from '../run-command.js';
import { printOut } from '../terminal.js';

interface MetricsOptions {
  config?: string;
  url?: string;
  filter?: string;
}

type Refusal = ReturnType<typeof readRefusal>;

const HELP_AFTER = `
/metrics passes the same network policy and authentication as /mcp, then the
policy must allow method admin/metrics: a role with admin:metrics:read (the
shipped admin role's admin:*:* covers it). With security.authentication
enabled, put a bearer token of such a role in HATAGO_AUTH_TOKEN:
  export HATAGO_AUTH_TOKEN=$(hatago token --sub metrics --roles admin --config hatago.config.json)
  hatago metrics --config hatago.config.json --filter circuit_breaker
Ten bad tokens from one address block it (403 ERR_CLIENT_BLOCKED) for five
minutes by default, /metrics included: list the addresses of your scrapers in
security.suspicious.exemptAddresses (e.g. ["127.0.0.1/32"]). See docs/metrics.md.`;

/** `hatago metrics [--filter circuit_breaker]`: reads /metrics of the running hub named by the config. */
export function registerMetricsCommand(program: Command): Command {
  return program
    .command('metrics')
    .description("print the running hub's metrics (Prometheus text), optionally only the families whose name contains --filter; with authentication on, the token comes from HATAGO_AUTH_TOKEN")
    .option('--config <file>', 'config of the running hub (its http.host and http.port)')
    .option('--url <url>', 'base URL of the hub (overrides the config), e.g. http://127.0.0.1:3000')
    .option('--filter <text>', 'keep metric families whose name contains this text, e.g. circuit_breaker')
    .addHelpText('after', HELP_AFTER)
    .action(
      runCommand(async (opts: MetricsOptions) => {
        const base = hubBaseUrl(opts);
        const url = new URL('/metrics', base);
        if (opts.filter) url.searchParams.set('filter', opts.filter);
        const token = process.env.HATAGO_AUTH_TOKEN;
        const res = await fetchHub(base, url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const text = await res.text();
        if (!res.ok) throw refused(`${url.origin}/metrics`, res.status, readRefusal(text), token !== undefined && token !== '');
        printOut(text); // label values come from configs and upstreams
      }),
    );
}

const known = (code: string | undefined): ErrorCode | undefined => (code !== undefined && code in ERROR_CODES ? (code as ErrorCode) : undefined);

/** One line that says what to do: set the token, replace it, or wait for (or exempt from) the block. */
function refused(where: string, status: number, r: Refusal, sentToken: boolean): HatagoError {
  const code = known(r.code);
  if (status === 401 && !sentToken) {
    return new HatagoError('ERR_UNAUTHENTICATED', { message: `${where} requires authentication: set HATAGO_AUTH_TOKEN to a bearer token the hub accepts` });
  }
  if (status === 401) {
    return new HatagoError(code ?? 'ERR_UNAUTHENTICATED', { message: `${where} refused the token in HATAGO_AUTH_TOKEN: ${r.message ?? 'unauthenticated'}` });
  }
  if (code === 'ERR_CLIENT_BLOCKED') {
    const until = r.blockedUntil !== undefined ? ` until ${r.blockedUntil}` : '';
    const after = r.retryAfter !== undefined ? ` (retry in ${r.retryAfter} s)` : '';
    return new HatagoError(code, { message: `${where}: this address is blocked after suspicious activity${until}${after}; exempt scrapers with security.suspicious.exemptAddresses` });
  }
  if (code === 'ERR_PERMISSION_DENIED') {
    return new HatagoError(code, { message: `${where}: the policy refused method admin/metrics: the caller needs a role with admin:metrics:read (docs/metrics.md)` });
  }
  return new HatagoError(code ?? 'ERR_INVALID_REQUEST', { message: `${where} answered ${status}: ${r.message ?? ''}`.trimEnd() });
}
