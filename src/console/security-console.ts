// The security console's state, built once by the composition root when
// `console.enabled` is true: the decision feed (a guard observer), the
// policy history and pin notices (a tap on the security events), approval
// notices (a listener on the approval queue), the rate sampler, the live
// streams. src/console/routes.ts serves it.
import type { Registry } from 'prom-client';
import type { ApprovalQueue } from '../approval/approval-queue.js';
import type { SecurityEvent, SecurityEventSink } from '../pipeline/security-events.js';
import type { Sanitizer } from '../policy/decision-log/mask.js';
import type { ShadowPolicy } from '../policy/shadow/index.js';
import { DecisionFeed } from './decision-feed.js';
import { LiveStreams } from './live-streams.js';
import type { ConsoleOptions } from './options.js';
import { PolicyHistory } from './policy-history.js';
import { RateSampler, SAMPLE_MS } from './rates.js';

const PIN_EVENTS = new Set(['definition_changed', 'definition_approved', 'definition_revoked']);

export class SecurityConsole {
  readonly feed: DecisionFeed;
  readonly streams: LiveStreams;
  readonly rates: RateSampler;
  history: PolicyHistory | undefined;
  private overviewTimer: NodeJS.Timeout | undefined;
  private detachShadow: (() => void) | undefined;
  private detachApprovals: (() => void) | undefined;

  constructor(
    readonly options: ConsoleOptions,
    sanitize: Sanitizer,
    registry: Registry,
  ) {
    this.feed = new DecisionFeed({ max: options.maxDecisions, maxInputBytes: options.maxInputBytes, sanitize });
    this.streams = new LiveStreams({ max: options.maxStreams, queue: options.streamQueue, heartbeatMs: options.heartbeatMs });
    this.rates = new RateSampler(registry);
    this.feed.onRecord((event, data) => this.streams.broadcast(event, data));
  }

  /** A sink that tells the console about policy and pin events, then passes each on unchanged. */
  tap(sink: SecurityEventSink): SecurityEventSink {
    return (e: SecurityEvent) => {
      try {
        this.noticed(e);
      } catch {
        // The console never stands between an event and the trail.
      }
      return sink(e);
    };
  }

  /** The start-up policy, first line of the history. */
  startHistory(first: ConstructorParameters<typeof PolicyHistory>[0]): void {
    this.history ??= new PolicyHistory(first);
  }

  attachShadow(shadow: ShadowPolicy | undefined): void {
    if (shadow) this.detachShadow = shadow.onCompared(this.feed.shadowAnswer);
  }

  /**
   * Held calls on the live stream, as notices only (`approvals`: held or
   * ended, the id, the outcome, how many are pending): the stream is granted
   * by admin/console, the calls themselves are shown to admin/approvals
   * (GET /console/api/approvals), which the page asks on each notice.
   */
  attachApprovals(queue: ApprovalQueue): void {
    this.detachApprovals = queue.onChange((c) => {
      this.streams.broadcast('approvals', { event: c.event, id: c.item.id, ...(c.event === 'ended' && { outcome: c.outcome }), pending: queue.size });
    });
  }

  /** Starts the rate sampler and the overview pushes (one every SAMPLE_MS while a stream is open). */
  start(overview: () => Promise<unknown>): void {
    this.rates.start();
    this.overviewTimer = setInterval(() => {
      if (this.streams.open === 0) return;
      overview().then((o) => this.streams.broadcast('overview', o), () => undefined);
    }, SAMPLE_MS);
    this.overviewTimer.unref();
  }

  /** A new policy: every open stream is asked of it again. */
  policyChanged(): void {
    this.streams.recheck('policy');
  }

  close(): void {
    this.rates.stop();
    if (this.overviewTimer) clearInterval(this.overviewTimer);
    this.detachShadow?.();
    this.detachApprovals?.();
    this.streams.closeAll();
  }

  private noticed(e: SecurityEvent): void {
    const entry = this.history?.add(e);
    if (entry) this.streams.broadcast('policy', entry);
    else if (PIN_EVENTS.has(e.event)) {
      const m = e.metadata ?? {};
      this.streams.broadcast('pins', { event: e.event, server: m.server ?? null, kind: m.kind ?? null, name: m.name ?? null });
    }
  }
}
