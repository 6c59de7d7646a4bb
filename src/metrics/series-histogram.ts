// The hub's latency histograms: a dozen observations per forwarded call (one
// per lifecycle stage, the request, the policy, the upstream). prom-client's
// Histogram checks the label names, builds a sorted hash string and two
// objects on every observation, about 3% of a call's CPU under load; this one
// finds the series through one Map per label and counts buckets in an array.
// It is registered in the hub's prom-client registry and hands it the same
// values prom-client's own histogram does, so /metrics reads the same.

import type { Registry } from 'prom-client';

type LabelValue = string | number;
export type HistogramLabels<T extends string> = Partial<Record<T, LabelValue>>;

export interface SeriesHistogramConfig<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** Upper bounds in ascending order (seconds); +Inf is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

interface Series {
  labels: Record<string, LabelValue>;
  /** Observations per bucket (not cumulative); past the last bound only `count` grows. */
  counts: number[];
  sum: number;
  count: number;
}

/** One value as prom-client's registry formats it: `labels` (le) first, then the series' labels. */
interface ExportedValue {
  labels: Record<string, LabelValue>;
  sharedLabels: Record<string, LabelValue>;
  value: number;
  metricName: string;
  /** Buckets carry prom-client's empty exemplar (no exemplars here). */
  exemplar?: null;
}

export class SeriesHistogram<T extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly T[];
  private readonly bounds: readonly number[];
  /** Nested by label value, in labelNames order; the last level holds the series. */
  private root = new Map<string | undefined, unknown>();
  /** Every series, in the order first observed (prom-client's order too). */
  private series: Series[] = [];

  constructor(config: SeriesHistogramConfig<T>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...(config.labelNames ?? [])];
    if (this.labelNames.includes('le' as T)) throw new Error('le is a reserved label name');
    this.bounds = [...config.buckets];
    for (let i = 1; i < this.bounds.length; i++) {
      if (!(this.bounds[i]! > this.bounds[i - 1]!)) throw new Error(`${this.name}: buckets must be ascending`);
    }
    // A label-less histogram reads zeros from the start (as prom-client's does).
    if (this.labelNames.length === 0) this.seriesOf(undefined);
    // The registry only reads name, help, type, aggregator and the values below.
    for (const r of config.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(labels: HistogramLabels<T>, value: number): void;
  observe(value: number): void;
  observe(labelsOrValue: HistogramLabels<T> | number, maybeValue?: number): void {
    const labels = typeof labelsOrValue === 'number' ? undefined : labelsOrValue;
    const value = typeof labelsOrValue === 'number' ? labelsOrValue : maybeValue!;
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: value is not a finite number: ${String(value)}`);
    const s = this.seriesOf(labels);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** Drops every series, as prom-client's reset does (a label-less one too, until its next observation). */
  reset(): void {
    this.root = new Map();
    this.series = [];
  }

  /** What prom-client's registry formats as text. */
  getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] }> {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const s of this.series) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The registry's JSON form: each value's labels with the series' labels merged in. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Omit<ExportedValue, 'sharedLabels'>[] }> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }

  /** A label value as the series key: 1 and '1' are one series, as prom-client (and the text format) have them. */
  private static key(v: LabelValue | undefined): string | undefined {
    return typeof v === 'number' ? String(v) : v;
  }

  private seriesOf(labels: HistogramLabels<T> | undefined): Series {
    const names = this.labelNames;
    if (names.length === 0) {
      const only = this.root.get(undefined) as Series | undefined;
      return only ?? this.add({}, this.root, undefined);
    }
    let level = this.root;
    for (let i = 0; i < names.length - 1; i++) {
      const v = SeriesHistogram.key(labels?.[names[i]!]);
      let next = level.get(v) as Map<string | undefined, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(v, next);
      }
      level = next;
    }
    const last = SeriesHistogram.key(labels?.[names[names.length - 1]!]);
    const found = level.get(last) as Series | undefined;
    if (found) return found;
    // The series' labels as given, in labelNames order, without the absent ones.
    const own: Record<string, LabelValue> = {};
    for (const n of names) {
      const v = labels?.[n];
      if (v !== undefined) own[n] = v;
    }
    return this.add(own, level, last);
  }

  private add(labels: Record<string, LabelValue>, level: Map<string | undefined, unknown>, key: string | undefined): Series {
    const s: Series = { labels, counts: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 };
    level.set(key, s);
    this.series.push(s);
    return s;
  }
}
