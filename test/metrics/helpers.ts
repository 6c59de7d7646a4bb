// Shared by the metrics tests: reading one sample from a /metrics scrape and
// running promtool (Debian's prometheus package) on real files and scrapes.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';

/** GET /metrics of a real hub; throws unless it answers 200. */
export async function scrape(hub: HubProcess, authorization?: string): Promise<string> {
  const res = await rawRequest(`${hub.url}/metrics`, { method: 'GET', ...(authorization && { headers: { authorization } }) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`);
  return res.text;
}

/** The value of `name{labels}` in Prometheus text; 0 when the series is absent (a counter not yet incremented). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '').split(',').filter((s) => s.length > 0).sort().join(',');
    if (got === want) return Number(m[3]);
  }
  return 0;
}

/** Runs promtool; a missing promtool fails the test with what to install (never a skip). */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync(process.env.PROMTOOL ?? 'promtool', args, { encoding: 'utf8', ...(input !== undefined && { input }) });
  if (r.error) throw new Error(`promtool is needed (Debian: apt-get install prometheus; .ci/run installs it): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

export async function stopAndRemove(hub: HubProcess | undefined): Promise<void> {
  if (!hub) return;
  await hub.stop();
  rmSync(hub.dir, { recursive: true, force: true });
}
