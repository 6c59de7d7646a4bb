import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SiemConfig } from '../../config/types.js';
import { HatagoError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import type { SecurityEventSink } from '../../pipeline/security-events.js';
import { trailFiles } from '../files.js';
import type { AuditRecord } from '../record.js';
import type { CheckedSiem } from './check-config.js';
import { SiemForwarder, type ForwarderOptions } from './forwarder.js';
import { seqOf, Spool, spoolDirProblem, type SpoolRecord } from './spool.js';
import { SYSLOG_FACILITIES, type SyslogFacility } from './syslog-format.js';
import { HttpTransport, SyslogTransport, type SiemTransport } from './transports.js';

// `security.audit.siem` (docs/audit.md#shipping-to-a-siem): one forwarder per
// destination, each with its own spool folder, fed every record the trail
// has written, in trail order.

export const SIEM_DEFAULTS = {
  spoolMaxBytes: 64 * 1024 * 1024,
  batchMaxRecords: 100,
  flushIntervalMs: 1000,
  retryMaxMs: 30_000,
  timeoutMs: 10_000,
  appName: 'hatago',
  facility: 'authpriv' as SyslogFacility,
};

export interface Siem {
  /** Records the trail has just written (with their lines as written), in order. */
  written(records: { record: AuditRecord; line: string }[]): void;
  /**
   * Before the first record of this run: each destination gets the trail's
   * records it was never handed (a hub killed with records in memory); a
   * destination new to this spool starts at the trail's end.
   */
  catchUp(trailFile: string, lastSeq: number): void;
  /** Null when a record cannot be taken (failClosed and a spool full); else a release for the reservation. */
  admit(): (() => void) | null;
  close(): Promise<void>;
}

export interface SiemOptions {
  cwd: string;
  logger: Logger;
  registry?: Registry;
  maxRecordBytes: number;
  /** Where audited drops are recorded (the audit sink itself). */
  record: SecurityEventSink;
}

const refuse = (key: string, why: string) => new HatagoError('ERR_CONFIG_INVALID', { message: `security.audit.siem${key}: ${why}` });

/** The destinations a checked config names. */
function transports(siem: SiemConfig, checked: CheckedSiem, timeoutMs: number, logger: Logger): SiemTransport[] {
  const out: SiemTransport[] = [];
  if (siem.syslog) {
    const s = siem.syslog;
    out.push(new SyslogTransport({
      host: s.host,
      port: s.port,
      ...(s.tls && { tls: { ...(checked.ca !== undefined && { ca: checked.ca }), ...(s.tls.servername !== undefined && { servername: s.tls.servername }) } }),
      appName: s.appName ?? SIEM_DEFAULTS.appName,
      facility: SYSLOG_FACILITIES[(s.facility ?? SIEM_DEFAULTS.facility) as SyslogFacility],
      timeoutMs,
      onLost: (why) => logger.warn(`SIEM syslog connection lost: ${why}`, { sink: 'syslog' }),
    }));
  }
  if (siem.http && checked.url) out.push(new HttpTransport({ url: checked.url.href, headers: siem.http.headers ?? {}, timeoutMs }));
  return out;
}

/** Starts the forwarders of a config checkSiemConfig accepted (it refuses what cannot be honoured). */
export function createSiem(siem: SiemConfig, checked: CheckedSiem, opts: SiemOptions): Siem {
  const logger = opts.logger.child({ component: 'audit-siem' });
  const timeoutMs = siem.timeoutMs ?? SIEM_DEFAULTS.timeoutMs;
  const dir = checked.spoolDir;
  const maxBytes = siem.spool?.maxBytes ?? SIEM_DEFAULTS.spoolMaxBytes;
  const dests = transports(siem, checked, timeoutMs, logger);
  const metrics = siemMetrics(opts.registry);
  const forwarders: SiemForwarder[] = [];
  for (const transport of dests) {
    const spoolDir = path.join(dir, transport.name);
    const problem = spoolDirProblem(spoolDir);
    if (problem) throw refuse('.spool.dir', problem);
    const spool = Spool.open(spoolDir, maxBytes);
    if (spool.count > 0) logger.info(`SIEM ${transport.name}: ${spool.count} records spooled by an earlier run are sent first`, { sink: transport.name });
    const o: ForwarderOptions = {
      transport,
      spool,
      batchMaxRecords: siem.batchMaxRecords ?? SIEM_DEFAULTS.batchMaxRecords,
      flushIntervalMs: siem.flushIntervalMs ?? SIEM_DEFAULTS.flushIntervalMs,
      retryMaxMs: siem.retryMaxMs ?? SIEM_DEFAULTS.retryMaxMs,
      failClosed: siem.failClosed === true,
      maxRecordBytes: opts.maxRecordBytes,
      logger,
      onDelivered: (n) => metrics.delivered.inc({ sink: transport.name }, n),
      onDrop: (d) => {
        metrics.dropped.inc({ sink: transport.name, reason: d.reason }, d.records);
        if (!d.audit) return;
        void opts.record({
          event: 'audit_records_dropped',
          level: 'warn',
          metadata: { sink: transport.name, reason: d.reason, records: d.records, firstSeq: d.firstSeq, lastSeq: d.lastSeq },
        }).catch((err: unknown) => logger.error('audit record of a SIEM drop failed', { error: String(err) }));
      },
    };
    forwarders.push(new SiemForwarder(o));
  }
  metrics.watch(forwarders);
  logger.info(`audit records shipped to ${dests.map((t) => t.name).join(' and ')}`, { spool: dir, maxBytes, failClosed: siem.failClosed === true });
  return {
    written(records) {
      const batch = records.map((r) => ({ seq: r.record.seq, line: r.line }));
      for (const f of forwarders) f.enqueue(batch);
    },
    catchUp(trailFile, lastSeq) {
      for (const f of forwarders) {
        const known = f.lastHanded;
        if (known === null) {
          f.startAt(lastSeq);
          continue;
        }
        if (known >= lastSeq) continue;
        const missed = trailRecordsAfter(trailFile, known, lastSeq);
        const gap = (missed[0]?.seq ?? lastSeq + 1) - known - 1;
        if (gap > 0) logger.warn(`SIEM ${f.name}: ${gap} records after seq ${known} are no longer in the trail (retention) and cannot be sent`, { sink: f.name });
        if (missed.length > 0) logger.info(`SIEM ${f.name}: ${missed.length} trail records never handed to it (the last run stopped without spooling them) are sent first`, { sink: f.name });
        f.enqueue(missed);
      }
    },
    admit() {
      const taken: (() => void)[] = [];
      for (const f of forwarders) {
        const release = f.admit();
        if (!release) {
          for (const r of taken) r();
          return null;
        }
        taken.push(release);
      }
      return () => { for (const r of taken) r(); };
    },
    async close() {
      await Promise.all(forwarders.map((f) => f.close()));
    },
  };
}

/** Trail records with seq in (after, upTo], oldest first, read from the newest file back to the one that holds `after + 1`. */
function trailRecordsAfter(file: string, after: number, upTo: number): SpoolRecord[] {
  const chunks: SpoolRecord[][] = [];
  for (const f of trailFiles(file).reverse()) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const records = text.split('\n').filter((l) => l.length > 0).map((line) => ({ seq: seqOf(line) ?? -1, line }));
    chunks.unshift(records.filter((r) => r.seq > after && r.seq <= upTo));
    if ((records[0]?.seq ?? Infinity) <= after + 1) break;
  }
  return chunks.flat();
}

interface SiemMetrics {
  delivered: Counter<'sink'>;
  dropped: Counter<'sink' | 'reason'>;
  watch(forwarders: SiemForwarder[]): void;
}

/** Counters, and gauges read from the forwarders at each scrape. */
function siemMetrics(registry: Registry | undefined): SiemMetrics {
  const registers = registry ? [registry] : [];
  let watched: SiemForwarder[] = [];
  const gauge = (name: string, help: string, read: (f: SiemForwarder) => number) =>
    new Gauge({ name, help, labelNames: ['sink'] as const, registers, collect() { for (const f of watched) this.set({ sink: f.name }, read(f)); } });
  gauge('hatago_audit_siem_queue_depth', 'Audit records waiting in memory for the SIEM, by destination', (f) => f.queueDepth);
  gauge('hatago_audit_siem_spooled_records', 'Audit records in the on-disk spool, not yet taken by the SIEM, by destination', (f) => f.spooledRecords);
  gauge('hatago_audit_siem_spool_bytes', 'Bytes of the on-disk spool, by destination', (f) => f.spoolBytes);
  return {
    delivered: new Counter({ name: 'hatago_audit_siem_delivered_total', help: 'Audit records the SIEM took, by destination', labelNames: ['sink'] as const, registers }),
    dropped: new Counter({ name: 'hatago_audit_siem_dropped_total', help: 'Audit records that will never reach the SIEM, by destination and reason (spool_full, spool_unwritable)', labelNames: ['sink', 'reason'] as const, registers }),
    watch: (f) => { watched = f; },
  };
}
