import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { HatagoError } from '../../errors/index.js';
import { runCommand } from '../run-command.js';
import { printOut } from '../terminal.js';

interface MetricsOptions {
  config?: string;
  url?: string;
  filter?: string;
}

/** `hatago metrics [--filter circuit_breaker]`: reads /metrics of the running hub named by the config. */
export function registerMetricsCommand(program: Command): Command {
  return program
    .command('metrics')
    .description("print the running hub's metrics (Prometheus text), optionally only the families whose name contains --filter")
    .option('--config <file>', 'config of the running hub (its http.host and http.port)')
    .option('--url <url>', 'base URL of the hub (overrides the config), e.g. http://127.0.0.1:3000')
    .option('--filter <text>', 'keep metric families whose name contains this text, e.g. circuit_breaker')
    .action(
      runCommand(async (opts: MetricsOptions) => {
        let base = opts.url;
        if (base === undefined) {
          const { config } = await loadConfig(opts.config !== undefined ? { path: opts.config } : {});
          const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
          base = `${config.http.ssl?.enabled ? 'https' : 'http'}://${host}:${config.http.port}`;
        }
        const url = new URL('/metrics', base);
        if (opts.filter) url.searchParams.set('filter', opts.filter);
        const token = process.env.HATAGO_AUTH_TOKEN;
        let res: Response;
        try {
          res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        } catch (err) {
          throw new HatagoError('ERR_UPSTREAM_UNAVAILABLE', { message: `No hub answers at ${base} (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message})` });
        }
        const text = await res.text();
        if (!res.ok) {
          let message = text;
          try {
            message = (JSON.parse(text) as { error: { message: string } }).error.message;
          } catch {
            // not JSON: print as it came
          }
          throw new HatagoError('ERR_INVALID_REQUEST', { message: `${url.origin}/metrics answered ${res.status}: ${message}` });
        }
        printOut(text); // label values come from configs and upstreams
      }),
    );
}
