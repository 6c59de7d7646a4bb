import type { Registry } from 'prom-client';

/**
 * The registry in Prometheus text format. With `filter`, only the metric
 * families whose name contains it (`hatago metrics --filter circuit_breaker`).
 */
export async function renderMetrics(registry: Registry, filter?: string): Promise<string> {
  const text = await registry.metrics();
  if (filter === undefined || filter === '') return text;
  // Families are separated by their "# HELP" lines; keep whole families.
  const families = text.split(/(?=^# HELP )/m);
  return families.filter((f) => (/^# HELP (\S+)/.exec(f)?.[1] ?? '').includes(filter)).join('');
}
