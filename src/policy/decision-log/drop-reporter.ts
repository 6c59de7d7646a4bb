// Drops of decision-log records, summed for the audit trail: the first drop
// after a quiet spell is reported at once (after the current tick, so a burst
// is one record), later ones at most once per window, with their counts. An
// outage cannot flood the trail, and the records' counts add up to the
// counter's.

export type DropReason = 'buffer_full' | 'too_large' | 'rejected' | 'shutdown';

export type DropCounts = Partial<Record<DropReason, number>>;

export class DropReporter {
  private counts: DropCounts = {};
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly emit: (counts: DropCounts, total: number) => Promise<void>,
    private readonly windowMs = 10_000,
  ) {}

  add(reason: DropReason, n: number): void {
    if (n <= 0) return;
    this.counts[reason] = (this.counts[reason] ?? 0) + n;
    this.pending += n;
    // Inside a window the sum waits for its end; otherwise it goes out after this tick.
    if (this.timer === undefined && this.immediate === undefined) this.immediate = setImmediate(() => this.report());
  }

  /** Reports what is summed now (on close); resolves when the record is handed over. */
  async flush(): Promise<void> {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = this.timer = undefined;
    await this.send();
  }

  private report(): void {
    this.immediate = undefined;
    if (this.send() === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending > 0) this.report();
    }, this.windowMs);
    this.timer.unref();
  }

  /** Undefined when nothing was dropped since the last report. */
  private send(): Promise<void> | undefined {
    if (this.pending === 0) return undefined;
    const counts = this.counts;
    const total = this.pending;
    this.counts = {};
    this.pending = 0;
    return this.emit(counts, total);
  }
}
