// The audit summary of decision-log drops: one record for a burst, later
// drops summed until the window ends, nothing lost on flush.
import { DropReporter, type DropCounts } from '../../../src/policy/decision-log/index.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder() {
  const records: { counts: DropCounts; total: number }[] = [];
  const waiters: (() => void)[] = [];
  const emit = async (counts: DropCounts, total: number) => {
    records.push({ counts, total });
    for (const w of waiters.splice(0)) w();
  };
  const next = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { records, emit, next };
}

describe('DropReporter', () => {
  it('reports a burst in one tick as one record', async () => {
    const r = recorder();
    const reporter = new DropReporter(r.emit, 60_000);
    reporter.add('buffer_full', 1);
    reporter.add('buffer_full', 2);
    reporter.add('too_large', 1);
    expect(r.records).toEqual([]); // not inside the hook's call: after the tick
    await tick();
    expect(r.records).toEqual([{ counts: { buffer_full: 3, too_large: 1 }, total: 4 }]);
    await reporter.flush();
    expect(r.records).toHaveLength(1); // nothing new to report
  });

  it('sums the drops of a window into one record at its end', async () => {
    const r = recorder();
    const reporter = new DropReporter(r.emit, 1000); // long enough that the ticks below all fall inside it
    reporter.add('buffer_full', 1);
    await tick();
    for (let i = 0; i < 5; i++) {
      reporter.add('buffer_full', 1);
      await tick();
    }
    reporter.add('rejected', 10);
    expect(r.records).toHaveLength(1); // inside the window: held back
    await r.next();
    expect(r.records).toEqual([
      { counts: { buffer_full: 1 }, total: 1 },
      { counts: { buffer_full: 5, rejected: 10 }, total: 15 },
    ]);
    await reporter.flush();
  });

  it('flush reports what the window still holds', async () => {
    const r = recorder();
    const reporter = new DropReporter(r.emit, 60_000);
    reporter.add('buffer_full', 1);
    await tick();
    reporter.add('shutdown', 7);
    await reporter.flush();
    expect(r.records).toEqual([
      { counts: { buffer_full: 1 }, total: 1 },
      { counts: { shutdown: 7 }, total: 7 },
    ]);
  });
});
