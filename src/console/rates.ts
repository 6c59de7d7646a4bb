// Request and denial rates for the Overview, read from the hub's own
// Prometheus registry (the series /metrics serves), sampled every
// SAMPLE_MS; a rate is the change over the samples kept (about a minute).
import type { Registry } from 'prom-client';

export const SAMPLE_MS = 5000;
const KEPT = 13;

interface Sample {
  at: number;
  requests: number;
  refused: number;
  byRule: Map<string, number>;
}

export interface Rates {
  windowSeconds: number;
  requestsPerSecond: number;
  /** Requests answered with a hatago error code (denials, limits, validation), per second. */
  refusedPerSecond: number;
  /** hatago_denials_total per rule over the window, most first (at most 5). */
  denialsByRule: { rule: string; count: number }[];
}

type Values = { values: { labels: Record<string, string | number>; value: number; metricName?: string }[] };

async function valuesOf(registry: Registry, name: string): Promise<Values['values']> {
  const m = registry.getSingleMetric(name) as { get(): Promise<Values> | Values } | undefined;
  return m ? (await m.get()).values : [];
}

export class RateSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly registry: Registry) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    this.samples.push(await this.read());
    if (this.samples.length > KEPT) this.samples.shift();
  }

  private async read(): Promise<Sample> {
    let requests = 0;
    let refused = 0;
    for (const v of await valuesOf(this.registry, 'hatago_request_duration_seconds')) {
      if (v.metricName !== 'hatago_request_duration_seconds_count') continue;
      requests += v.value;
      const code = String(v.labels.code ?? '');
      if (code.startsWith('ERR_') && code !== 'ERR_INTERNAL') refused += v.value;
    }
    const byRule = new Map<string, number>();
    for (const v of await valuesOf(this.registry, 'hatago_denials_total')) {
      const rule = String(v.labels.rule ?? 'unknown');
      byRule.set(rule, (byRule.get(rule) ?? 0) + v.value);
    }
    return { at: Date.now(), requests, refused, byRule };
  }

  /** From the oldest sample kept (about a minute ago) to now. */
  async snapshot(): Promise<Rates> {
    const first = this.samples[0];
    const last = await this.read();
    if (!first || last.at <= first.at) return { windowSeconds: 0, requestsPerSecond: 0, refusedPerSecond: 0, denialsByRule: [] };
    const seconds = (last.at - first.at) / 1000;
    const rate = (a: number, b: number) => Math.round(((b - a) / seconds) * 100) / 100;
    const denialsByRule = [...last.byRule]
      .map(([rule, n]) => ({ rule, count: n - (first.byRule.get(rule) ?? 0) }))
      .filter((r) => r.count > 0)
      .sort((a, b) => b.count - a.count)
      .slice(0, 5);
    return { windowSeconds: Math.max(1, Math.round(seconds)), requestsPerSecond: rate(first.requests, last.requests), refusedPerSecond: rate(first.refused, last.refused), denialsByRule };
  }
}
