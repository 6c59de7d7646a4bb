import path from 'node:path';
import { Counter, type Registry } from 'prom-client';
import type { AuditTrailConfig, HatagoConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { sanitizerFromConfig } from '../log/from-config.js';
import type { Sanitizer } from '../log/sanitizer.js';
import type { SecurityEvent, SecurityEventName, SecurityEventSink } from '../pipeline/security-events.js';
import { AuditLog } from './audit-log.js';
import { AuditLockedError } from './lock.js';
import { digestCandidates } from './list-digest.js';
import { capRecord, DEFAULT_MAX_RECORD_BYTES, fitsRecord } from './record-cap.js';
import { canonicalJson } from './record.js';
import { checkSiemConfig } from './siem/check-config.js';
import type { Siem } from './siem/index.js';

export type { AuditTrailConfig as AuditConfig } from '../config/types.js';

/** A SecurityEventSink backed by the audit file; close() flushes and closes it. */
export type AuditSink = SecurityEventSink & {
  readonly file: string | null;
  close(): Promise<void>;
};

const WARN_EVENTS: ReadonlySet<SecurityEventName> = new Set([
  'authentication_failure',
  'permission_denied',
  'network_denied',
  'rate_limit_exceeded',
  'policy_rejected',
  'suspicious_activity',
]);

export function auditFilePath(config: Pick<HatagoConfig, 'security'>, cwd: string = process.cwd()): string {
  const audit = (config.security.audit ?? {}) as AuditTrailConfig;
  return path.resolve(cwd, audit.file ?? path.join('logs', 'audit.log'));
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The audit trail as the pipeline sees it: one record per event, masked by
 * the hub's sanitizer, resolved once durable. A rejection means the record
 * is not written and the caller must fail its request closed.
 */
export async function createAuditSink(
  config: Pick<HatagoConfig, 'security' | 'mcpServers'>,
  logger: Logger = silentLogger,
  opts: { cwd?: string; sanitizer?: Sanitizer; registry?: Registry } = {},
): Promise<AuditSink> {
  const audit = (config.security.audit ?? {}) as AuditTrailConfig;
  const log = logger.child({ component: 'audit' });
  if (audit.enabled === false) {
    checkSiemConfig(audit, opts.cwd ?? process.cwd()); // refuses a siem it could not ship
    return Object.assign(async (_e: SecurityEvent) => undefined, { file: null, close: async () => undefined });
  }
  const sanitizer = opts.sanitizer ?? sanitizerFromConfig(config);
  const file = auditFilePath(config, opts.cwd);
  const maxRecordBytes = audit.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  // The SIEM sink before the trail: a setting it cannot honour stops start-up before the trail is locked.
  // Its drops are recorded in the trail (and so shipped too): `record` is bound once the sink exists.
  let record: SecurityEventSink = async () => undefined;
  const checked = checkSiemConfig(audit, opts.cwd ?? process.cwd());
  // Its code (forwarder, spool, transports) is loaded only when a SIEM is configured.
  const siem: Siem | null = audit.siem === undefined || !checked ? null : (await import('./siem/index.js')).createSiem(audit.siem, checked, {
    cwd: opts.cwd ?? process.cwd(), logger, maxRecordBytes, record: (e) => record(e), ...(opts.registry && { registry: opts.registry }),
  });
  let trail: AuditLog;
  try {
    trail = await AuditLog.open(file, {
      ...(audit.maxBytes !== undefined && { maxBytes: audit.maxBytes }),
      ...(audit.maxFiles !== undefined && { maxFiles: audit.maxFiles }),
      ...(audit.maxAgeDays !== undefined && { maxAgeDays: audit.maxAgeDays }),
      ...(siem && { onWritten: (records: Parameters<Siem['written']>[0]) => siem.written(records) }),
    });
  } catch (err) {
    await siem?.close();
    // A trail another hub writes: one line naming the file and that hub's pid.
    const message = err instanceof AuditLockedError ? err.message : `audit trail ${file} cannot be opened: ${(err as Error)?.message ?? String(err)}`;
    throw new HatagoError('ERR_AUDIT_UNAVAILABLE', { message, cause: err });
  }
  log.info('audit trail open', { file, seq: trail.lastSeq });
  if (opts.registry) groupMetrics(opts.registry, trail);
  siem?.catchUp(file, trail.lastSeq);

  const sink = async (e: SecurityEvent): Promise<void> => {
    // failClosed and a full spool: no record in the trail either, so both sinks hold the same records.
    const release = siem ? siem.admit() : null;
    if (siem && !release) {
      log.error('audit record refused: the SIEM spool is full (security.audit.siem.failClosed)', { event: e.event });
      throw new HatagoError('ERR_AUDIT_UNAVAILABLE', { message: 'SIEM spool full (security.audit.siem.failClosed)' });
    }
    try {
      // A list's candidates as a digest, then masked, then bounded (the markers' hashes are of masked values).
      const fields = {
        level: e.level ?? (WARN_EVENTS.has(e.event) ? 'warn' : 'info'),
        event: e.event,
        user: str(sanitizer.value(e.user ?? null)),
        sessionId: str(sanitizer.value(e.sessionId ?? null)),
        ip: e.ip ?? null,
        userAgent: str(sanitizer.value(e.userAgent ?? null)),
        ...(e.decisionId !== undefined && { decisionId: e.decisionId }),
        ...(e.revision !== undefined && { revision: e.revision }),
      } as const;
      const metadata = digestCandidates(e.metadata ?? {});
      // The masked copy with sorted keys: its JSON is the canonical text the hash covers, made once for
      // the size check, the hash and the line.
      const sorted = { ...fields, metadata: (sanitizer.value(metadata, { sortKeys: true }) as Record<string, unknown>) ?? {} };
      const metadataJson = canonicalJson(sorted.metadata);
      if (fitsRecord(sorted, metadataJson, maxRecordBytes)) {
        await trail.append(sorted, metadataJson);
      } else {
        // Past the cap, markers hash their values' JSON in the event's own key order, as they always did.
        const capped = capRecord({ ...fields, metadata: (sanitizer.value(metadata) as Record<string, unknown>) ?? {} }, maxRecordBytes);
        await trail.append(capped);
      }
    } catch (err) {
      log.error('audit record could not be written', { event: e.event, error: (err as Error)?.message ?? String(err) });
      throw err;
    } finally {
      release?.();
    }
  };
  record = sink;
  return Object.assign(sink, {
    file,
    // The trail first (its last records still reach the SIEM's queue), then the SIEM sends what it can and spools the rest.
    close: async () => {
      await trail.close();
      await siem?.close();
    },
  });
}

/** How well records share their fdatasync: records and groups (one write, one fdatasync, one head update each) durable since start. */
function groupMetrics(registry: Registry, trail: AuditLog): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  counter('hatago_audit_records_total', 'Audit records written and durable (fdatasync), since start', () => trail.stats.records);
  counter('hatago_audit_groups_total', 'Audit write groups since start: one write, one fdatasync and one head update each, for all the records queued behind the previous group', () => trail.stats.groups);
}
