import { existsSync, readFileSync } from 'node:fs';
import { trailFiles } from './files.js';
import type { AuditRecord } from './record.js';

// Reading the trail for reports: filters by time and event. The output
// formats of `hatago audit` are in src/cli/audit-format.ts.

export interface AuditQuery {
  /** Inclusive lower bound. */
  from?: Date;
  /** Inclusive upper bound. */
  to?: Date;
  events?: string[];
}

export interface ReadResult {
  records: AuditRecord[];
  /** Lines that are not records (torn or edited): reported, not fatal. */
  skipped: { file: string; line: number }[];
}

/** Every record of the trail (rotated files oldest first) matching the query, in trail order. */
export function readTrail(file: string, q: AuditQuery = {}): ReadResult {
  const records: AuditRecord[] = [];
  const skipped: ReadResult['skipped'] = [];
  const from = q.from?.getTime() ?? -Infinity;
  const to = q.to?.getTime() ?? Infinity;
  const events = q.events && q.events.length > 0 ? new Set(q.events) : null;
  for (const f of trailFiles(file).filter((x) => existsSync(x))) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim().length === 0) return;
      let r: AuditRecord;
      try {
        r = JSON.parse(line) as AuditRecord;
      } catch {
        skipped.push({ file: f, line: i + 1 });
        return;
      }
      const t = Date.parse(r.timestamp);
      if (Number.isNaN(t)) {
        skipped.push({ file: f, line: i + 1 });
        return;
      }
      if (t < from || t > to) return;
      if (events && !events.has(r.event)) return;
      records.push(r);
    });
  }
  return { records, skipped };
}

/**
 * Every chain of a folder (one per replica), merged by time: records with the
 * same timestamp keep their chain's order, chains in name order.
 */
export function readTrails(files: readonly string[], q: AuditQuery = {}): ReadResult {
  const all = files.map((f) => readTrail(f, q));
  const tagged = all.flatMap((r, chain) => r.records.map((record, i) => ({ record, chain, i, t: Date.parse(record.timestamp) })));
  tagged.sort((a, b) => a.t - b.t || a.chain - b.chain || a.i - b.i);
  return { records: tagged.map((x) => x.record), skipped: all.flatMap((r) => r.skipped) };
}
