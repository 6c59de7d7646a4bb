// Wires the request-decision observers the config asks for (decision log,
// decision-log service, shadow policy) into one onDecision hook for PolicyGuard, plus what /health
// shows of them. The pipeline never imports them: it is handed the hook.
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { HatagoConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { DecisionHook } from '../pipeline/policy/policy-guard.js';
import { configSecrets, sanitizerFromConfig, sanitizerOptions, type LoggingSecurityConfig } from '../log/from-config.js';
import { createSanitizer } from '../log/sanitizer.js';
import type { SecurityEventSink } from '../pipeline/security-events.js';
import type { DecisionLog } from '../policy/decision-log/decision-log.js';
import type { Sanitizer } from '../policy/decision-log/mask.js';
import type { DecisionLogService } from './decision-log-service.js';
import type { ShadowPolicy } from '../policy/shadow/index.js';
import { policyData } from './policy-data.js';

export interface DecisionObservers {
  /** Undefined when nothing observes decisions (the guard then skips the event). */
  onDecision: DecisionHook | undefined;
  /** Extra fields under /health `policy`. */
  health(): Record<string, unknown>;
  /** Flushes the decision log, and gives the service its last flush. */
  close(): Promise<void>;
  /** The shadow policy, when policies.shadow names one. */
  shadow?: ShadowPolicy;
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
  /** More observers (the security console's decision feed), told first. */
  extraHooks?: DecisionHook[];
}

/** The hub's sanitizer (security.logging, config secrets), with the decision log's extra fields. */
export function decisionLogSanitizer(config: HatagoConfig, extraFields: string[] | undefined): Sanitizer {
  if (extraFields === undefined || extraFields.length === 0) return sanitizerFromConfig(config).value;
  const logging = (config.security.logging ?? {}) as LoggingSecurityConfig;
  const s = createSanitizer(sanitizerOptions(logging, extraFields));
  s.addSecrets(configSecrets(config));
  return s.value;
}

export async function createDecisionObservers(opts: DecisionObserverOptions): Promise<DecisionObservers> {
  const { config, logger } = opts;
  const hooks: DecisionHook[] = [...(opts.extraHooks ?? [])];
  const dl = config.policies.decisionLog;
  let decisionLog: DecisionLog | undefined;
  let service: DecisionLogService | undefined;
  // Each observer's code is loaded only when the config turns it on (start-up without them does not pay for it).
  if (dl !== undefined && dl.enabled !== false) {
    const sanitize = opts.sanitize ?? decisionLogSanitizer(config, dl.maskedFields);
    if (dl.file !== false) {
      const { DecisionLog, DEFAULT_DECISION_LOG_FILE } = await import('../policy/decision-log/decision-log.js');
      const file = path.resolve(opts.cwd ?? process.cwd(), dl.file ?? DEFAULT_DECISION_LOG_FILE);
      decisionLog = new DecisionLog({ file, sanitize, logger });
      hooks.push(decisionLog.record);
      logger.info('decision log enabled', { component: 'decision-log', file });
    }
    if (dl.service !== undefined) {
      service = (await import('./decision-log-service.js')).createDecisionLogService(dl.service, { sanitize, logger, ...(opts.registry && { registry: opts.registry }), ...(opts.events && { events: opts.events }) });
      hooks.push(service.shipper.record);
      logger.info('decision log service enabled', { component: 'decision-log-service', url: service.shipper.status().url });
    }
  }
  let shadow: ShadowPolicy | undefined;
  if (config.policies.shadow !== undefined) {
    const bundle = config.policies.shadow;
    shadow = await (await import('../policy/shadow/index.js')).ShadowPolicy.load(bundle, {
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
  const all: DecisionHook | undefined =
    hooks.length === 0 ? undefined : hooks.length === 1 ? hooks[0] : (e) => { for (const h of hooks) h(e); };
  // A metrics scrape (every few seconds from Prometheus) is decided, audited and rate limited like
  // any admin request, but it is not a decision-log record: it would drown the decisions that matter.
  const onDecision: DecisionHook | undefined = all && ((e) => {
    if ((e.input as { request?: { method?: unknown } }).request?.method !== 'admin/metrics') all(e);
  });
  return {
    onDecision,
    ...(shadow && { shadow }),
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
