// SeriesHistogram must read on /metrics exactly as prom-client's Histogram
// did for the same observations: text and JSON, series order, bucket edges.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from '../../src/metrics/series-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
type L = 'stage' | 'outcome';

function pair(labelNames: readonly L[]) {
  const ours = new Registry();
  const theirs = new Registry();
  const config = { name: 'hatago_test_duration_seconds', help: 'a test histogram', buckets: BUCKETS };
  const a = new SeriesHistogram<L>({ ...config, labelNames, registers: [ours] });
  const b = new Histogram<L>({ ...config, labelNames: [...labelNames], registers: [theirs] });
  return { a, b, ours, theirs };
}

async function same(ours: Registry, theirs: Registry): Promise<void> {
  expect(await ours.metrics()).toBe(await theirs.metrics());
  expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
}

const observation = fc.record({
  stage: fc.constantFrom('network', 'policy', 'forward', 'a"quoted\\one'),
  outcome: fc.constantFrom('ok', 'ERR_POLICY_DENIED'),
  // Exact bucket edges, inside, beyond the last bound, zero.
  value: fc.oneof(fc.constantFrom(0, ...BUCKETS, 0.2, 5), fc.double({ min: 0, max: 1, noNaN: true })),
});

test('labelled: the same text and JSON as prom-client for any observations', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (obs) => {
      const { a, b, ours, theirs } = pair(['stage', 'outcome']);
      for (const o of obs) {
        a.observe({ stage: o.stage, outcome: o.outcome }, o.value);
        b.observe({ stage: o.stage, outcome: o.outcome }, o.value);
      }
      await same(ours, theirs);
    }),
    { numRuns: 200 },
  );
});

test('label-less: zeros before the first observation, then the same as prom-client', async () => {
  const { a, b, ours, theirs } = pair([]);
  await same(ours, theirs);
  for (const v of [0.0003, 0.001, 0.07, 3]) {
    a.observe(v);
    b.observe(v);
  }
  await same(ours, theirs);
  expect(await ours.metrics()).toContain('hatago_test_duration_seconds_bucket{le="0.001"} 2');
});

test('reset drops the series as prom-client does', async () => {
  for (const names of [['stage', 'outcome'], []] as const) {
    const { a, b, ours, theirs } = pair(names);
    if (names.length > 0) {
      a.observe({ stage: 'x', outcome: 'ok' }, 0.002);
      b.observe({ stage: 'x', outcome: 'ok' }, 0.002);
    } else {
      a.observe(0.002);
      b.observe(0.002);
    }
    ours.resetMetrics();
    theirs.resetMetrics();
    await same(ours, theirs);
  }
});

test('a value that is not finite is refused, and counts nowhere', async () => {
  const { a, ours } = pair(['stage', 'outcome']);
  expect(() => a.observe({ stage: 'x', outcome: 'ok' }, Number.NaN)).toThrow(TypeError);
  expect(() => a.observe({ stage: 'x', outcome: 'ok' }, Number.POSITIVE_INFINITY)).toThrow(TypeError);
  expect(await ours.metrics()).not.toContain('_count');
});

test('buckets out of order or a label named le are refused at construction', () => {
  const registers = [new Registry()];
  expect(() => new SeriesHistogram({ name: 'h1', help: 'h', buckets: [0.1, 0.01], registers })).toThrow('buckets must be ascending');
  expect(() => new SeriesHistogram<'le'>({ name: 'h2', help: 'h', labelNames: ['le'], buckets: [1], registers })).toThrow('le is a reserved label name');
});

test('a label value given as a number and as its string is one series, as in prom-client', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const config = { name: 'hatago_test_n_seconds', help: 'n', labelNames: ['stage'] as const, buckets: BUCKETS };
  const a = new SeriesHistogram<'stage'>({ ...config, registers: [ours] });
  const b = new Histogram<'stage'>({ ...config, labelNames: ['stage'], registers: [theirs] });
  for (const h of [a, b]) {
    h.observe({ stage: 1 }, 0.002);
    h.observe({ stage: '1' }, 0.003);
  }
  expect(await ours.metrics()).toBe(await theirs.metrics());
  expect(await ours.metrics()).toContain('hatago_test_n_seconds_count{stage="1"} 2');
});
