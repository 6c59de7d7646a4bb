// Wires the request-decision observers the config asks for (decision log,
// shadow policy) into one onDecision hook for PolicyGuard, plus what /health
// shows of them. The pipeline never imports them: it is handed the hook.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DECISION_LOG_SERVICE_KEY, decisionLogServiceSettings } from '../config/decision-log-service.js';
import type { DecisionLogServiceConfig, HatagoConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { DecisionHook } from '../pipeline/policy/policy-guard.js';
import { configSecrets, sanitizerFromConfig, sanitizerOptions, type LoggingSecurityConfig } from '../log/from-config.js';
import { createSanitizer } from '../log/sanitizer.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import { DecisionLog, DecisionShipper, DEFAULT_DECISION_LOG_FILE, displayUrl, DropReporter, type Sanitizer } from '../policy/decision-log/index.js';
import { PACKAGE_INFO } from '../util/package-info.js';
import { ShadowPolicy } from '../policy/shadow/index.js';
import { policyData } from './policy-data.js';

export interface DecisionObservers {
  /** Undefined when nothing observes decisions (the guard then skips the event). */
  onDecision: DecisionHook | undefined;
  /** Extra fields under /health `policy`. */
  health(): Record<string, unknown>;
  /** Flushes the decision log, and gives the service its last flush. */
  close(): Promise<void>;
}

export interface DecisionObserverOptions {
  config: HatagoConfig;
  logger: Logger;
  cwd?: string;
  registry?: Registry;
  /** Masks decision-log inputs (default: the hub's log sanitizer, plus decisionLog.maskedFields). */
  sanitize?: Sanitizer;
  /** Receives decision_log_dropped (the audit trail). */
  events?: SecurityEventSink;
}

/** The service shipper, its drops counted on the hub's registry and summed into the audit trail. */
function createShipper(service: DecisionLogServiceConfig, sanitize: Sanitizer, opts: DecisionObserverOptions): { shipper: DecisionShipper; reporter: DropReporter } {
  const { logger } = opts;
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

/** The hub's sanitizer (security.logging, config secrets), with the decision log's extra fields. */
function decisionLogSanitizer(config: HatagoConfig, extraFields: string[] | undefined): Sanitizer {
  if (extraFields === undefined || extraFields.length === 0) return sanitizerFromConfig(config).value;
  const logging = (config.security.logging ?? {}) as LoggingSecurityConfig;
  const s = createSanitizer(sanitizerOptions(logging, extraFields));
  s.addSecrets(configSecrets(config));
  return s.value;
}

export async function createDecisionObservers(opts: DecisionObserverOptions): Promise<DecisionObservers> {
  const { config, logger } = opts;
  const hooks: DecisionHook[] = [];
  const dl = config.policies.decisionLog;
  let decisionLog: DecisionLog | undefined;
  let service: { shipper: DecisionShipper; reporter: DropReporter } | undefined;
  if (dl !== undefined && dl.enabled !== false) {
    const sanitize = opts.sanitize ?? decisionLogSanitizer(config, dl.maskedFields);
    if (dl.file !== false) {
      const file = path.resolve(opts.cwd ?? process.cwd(), dl.file ?? DEFAULT_DECISION_LOG_FILE);
      decisionLog = new DecisionLog({ file, sanitize, logger });
      hooks.push(decisionLog.record);
      logger.info('decision log enabled', { component: 'decision-log', file });
    }
    if (dl.service !== undefined) {
      service = createShipper(dl.service, sanitize, opts);
      hooks.push(service.shipper.record);
      logger.info('decision log service enabled', { component: 'decision-log-service', url: service.shipper.status().url });
    }
  }
  let shadow: ShadowPolicy | undefined;
  if (config.policies.shadow !== undefined) {
    const bundle = config.policies.shadow;
    shadow = await ShadowPolicy.load(bundle, {
      runtimeData: policyData(config),
      logger,
      ...(opts.registry && { registry: opts.registry }),
    }).catch((err: unknown) => {
      // Say it is the shadow bundle that failed, not the active one.
      if (!(err instanceof HatagoError)) throw err;
      throw new HatagoError(err.code, { message: `Shadow policy bundle ${bundle}: ${err.detail ?? err.message}`, cause: err });
    });
    hooks.push(shadow.observe);
    logger.info('shadow policy loaded', { component: 'policy-shadow', revision: shadow.engine.revision, bundle: config.policies.shadow });
  }
  const onDecision: DecisionHook | undefined =
    hooks.length === 0 ? undefined : hooks.length === 1 ? hooks[0] : (e) => { for (const h of hooks) h(e); };
  return {
    onDecision,
    health: () => ({
      ...(shadow && { shadow: shadow.status() }),
      ...(decisionLog && { decisionLog: decisionLog.status() }),
      ...(service && { decisionLogService: service.shipper.status() }),
    }),
    close: async () => {
      await Promise.all([decisionLog?.close(), service?.shipper.close()]);
      await service?.reporter.flush(); // the drops of the last flush reach the trail before it closes
    },
  };
}
