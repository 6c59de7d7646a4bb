// `policies.decisionLog.service` wired for the hub: the CA file read at
// start (a file that cannot be read refuses the start), the OPA labels, the
// metrics on the hub's registry, and drops summed into the audit trail.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DECISION_LOG_SERVICE_KEY, decisionLogServiceSettings } from '../config/decision-log-service.js';
import type { DecisionLogServiceConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import { DecisionShipper, displayUrl, DropReporter, type Sanitizer } from '../policy/decision-log/index.js';
import { PACKAGE_INFO } from '../util/package-info.js';

export interface DecisionLogService {
  shipper: DecisionShipper;
  /** Sums drops into decision_log_dropped audit records; flushed on close. */
  reporter: DropReporter;
}

export interface DecisionLogServiceOptions {
  sanitize: Sanitizer;
  logger: Logger;
  /** The hub's registry: the shipper's counters and gauge. */
  registry?: Registry;
  /** Receives decision_log_dropped (the audit trail). */
  events?: SecurityEventSink;
}

/** The shipper for `policies.decisionLog.service`, its drops counted on the hub's registry and summed into the audit trail. */
export function createDecisionLogService(service: DecisionLogServiceConfig, opts: DecisionLogServiceOptions): DecisionLogService {
  const { logger, sanitize } = opts;
  const s = decisionLogServiceSettings(service);
  let ca: string | undefined;
  if (s.caFile !== undefined) {
    try {
      ca = readFileSync(s.caFile, 'utf8');
    } catch (err) {
      throw new HatagoError('ERR_CONFIG_INVALID', {
        message: `${DECISION_LOG_SERVICE_KEY}.caFile: cannot read ${s.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      });
    }
  }
  const registers = opts.registry ? [opts.registry] : [];
  const dropped = new Counter({
    name: 'hatago_decision_log_dropped_total',
    help: 'Decision records the decision-log service never received, by reason (buffer_full, too_large, rejected, shutdown)',
    labelNames: ['reason'] as const,
    registers,
  });
  const sent = new Counter({ name: 'hatago_decision_log_sent_total', help: 'Decision records the decision-log service accepted', registers });
  const retries = new Counter({ name: 'hatago_decision_log_upload_failures_total', help: 'POSTs to the decision-log service that failed and will be retried', registers });
  const where = displayUrl(s.endpoint);
  const reporter = new DropReporter(async (counts, total) => {
    await opts.events?.({ event: 'decision_log_dropped', level: 'warn', metadata: { service: where, dropped: total, reasons: counts } }).catch((err: unknown) =>
      logger.error('audit record of dropped decision records failed', { component: 'decision-log-service', error: String(err) }));
  });
  const shipper = new DecisionShipper({
    ...s,
    target: { url: s.endpoint, headers: s.headers, timeoutMs: s.timeoutMs, ...(ca !== undefined && { ca }) },
    sanitize,
    // OPA's labels: this hub instance and its version; the operator's own beside them.
    labels: { ...s.labels, id: randomUUID(), version: PACKAGE_INFO.version },
    onDrop: (reason, n) => {
      dropped.inc({ reason }, n);
      reporter.add(reason, n);
    },
    onSent: (n) => sent.inc(n),
    onRetry: () => retries.inc(),
    logger,
  });
  new Gauge({
    name: 'hatago_decision_log_buffered_records',
    help: 'Decision records held for the decision-log service (waiting, in flight, awaiting retry)',
    registers,
    collect() {
      this.set(shipper.status().buffered);
    },
  });
  return { shipper, reporter };
}
