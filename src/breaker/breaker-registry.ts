import type { Logger } from '../log/logger.js';
import type { HatagoMetrics } from '../metrics/index.js';
import { CircuitBreaker, type Permit } from './circuit-breaker.js';
import { classifyError } from './classify-error.js';
import { systemClock, type BreakerStateChange, type BreakerStatus, type BreakerTable, type Clock, type ErrorKind } from './types.js';

export interface BreakerRegistryOptions {
  table: BreakerTable;
  clock?: Clock;
  logger?: Logger;
  onStateChange?: (change: BreakerStateChange) => void;
  metrics?: Pick<HatagoMetrics, 'circuitBreakerState'>;
}

/** Status of the whole registry, for `/health`. */
export interface BreakerRegistryStatus {
  enabled: boolean;
  servers: Record<string, BreakerStatus>;
}

/** A permit that counts nothing: breakers are off, or the server has none. */
function passThrough(server: string): Permit {
  return { server, trial: false, success() {}, failure() {}, release() {} };
}

/**
 * One CircuitBreaker per upstream server, built from the policy's breaker
 * table. Breakers are off when the table says `enabled: false`; then, and
 * for a server the table does not name, calls pass and nothing is counted.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private enabledNow = true;
  private readonly opts: Omit<BreakerRegistryOptions, 'table'>;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: BreakerRegistryOptions) {
    const { table, ...rest } = opts;
    this.opts = rest;
    this.apply(table);
  }

  get enabled(): boolean {
    return this.enabledNow;
  }

  /** The breaker of a server, if breakers are on and the table names it. */
  get(server: string): CircuitBreaker | undefined {
    return this.enabledNow ? this.breakers.get(server) : undefined;
  }

  /** Permit for one call to `server` (throws ERR_CIRCUIT_OPEN when its breaker refuses). */
  acquire(server: string): Permit {
    return this.get(server)?.acquire() ?? passThrough(server);
  }

  /**
   * How one admitted call ended: a success, or a failure counted by its kind
   * (`classify`; `null` = not the upstream's fault, which only frees a trial slot).
   */
  settle(permit: Permit, error?: unknown, classify: (err: unknown) => ErrorKind | null = classifyError): void {
    if (error === undefined) return permit.success();
    const kind = classify(error);
    const breaker = this.breakers.get(permit.server);
    if (kind === null || !breaker) permit.release();
    else permit.failure(breaker.severityOf(kind), kind);
  }

  /** CircuitBreaker.run for `server`, or just `fn()` when it has no breaker. */
  run<T>(server: string, fn: () => Promise<T>, classify: (err: unknown) => ErrorKind | null = classifyError): Promise<T> {
    const b = this.get(server);
    return b ? b.run(fn, classify) : fn();
  }

  /**
   * A new table (policy or config reload). Servers kept keep their state and
   * get the new rule; new servers start closed; servers gone are dropped with
   * their gauge series.
   */
  apply(table: BreakerTable): void {
    this.enabledNow = table.enabled;
    for (const [id, b] of this.breakers) {
      if (!Object.hasOwn(table.servers, id) || !table.enabled) {
        b.dispose();
        this.breakers.delete(id);
      }
    }
    if (!table.enabled) return;
    for (const [id, entry] of Object.entries(table.servers)) {
      const existing = this.breakers.get(id);
      if (existing) {
        existing.reconfigure(entry.rule, entry.severity);
        continue;
      }
      this.breakers.set(
        id,
        new CircuitBreaker({
          server: id,
          rule: entry.rule,
          severity: entry.severity,
          clock: this.opts.clock ?? systemClock,
          ...(this.opts.logger && { logger: this.opts.logger }),
          ...(this.opts.onStateChange && { onStateChange: this.opts.onStateChange }),
          ...(this.opts.metrics && { metrics: this.opts.metrics }),
        }),
      );
    }
  }

  /** Applies due open -> half-open changes on every breaker. */
  tick(): void {
    for (const b of this.breakers.values()) b.tick();
  }

  /**
   * Ticks every `intervalMs` (default 1000), so an open breaker with no
   * traffic still turns half-open on time in logs, `/health` and the gauge.
   */
  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): BreakerRegistryStatus {
    const servers: Record<string, BreakerStatus> = {};
    for (const s of this.snapshot()) servers[s.server] = s;
    return { enabled: this.enabledNow, servers };
  }

  /** Every breaker's status, sorted by server id. */
  snapshot(): BreakerStatus[] {
    return [...this.breakers.values()].map((b) => b.status()).sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  }
}
