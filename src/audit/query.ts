import { existsSync, readFileSync } from 'node:fs';
import { trailFiles } from './files.js';
import type { AuditRecord } from './record.js';

// Reading the trail for reports: filters by time and event, and the three
// output formats of `hatago audit` (json, csv, table).

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

export const CSV_COLUMNS = ['seq', 'timestamp', 'level', 'event', 'user', 'sessionId', 'ip', 'userAgent', 'decisionId', 'revision', 'metadata', 'hash'] as const;

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // Spreadsheets run cells starting with = + - @ as formulas: quote them as text.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(records: AuditRecord[]): string {
  const rows = records.map((r) => CSV_COLUMNS.map((c) => csvCell((r as unknown as Record<string, unknown>)[c])).join(','));
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

export function toJson(records: AuditRecord[]): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}

const TABLE_COLUMNS: [string, (r: AuditRecord) => string][] = [
  ['SEQ', (r) => String(r.seq)],
  ['TIMESTAMP', (r) => r.timestamp],
  ['EVENT', (r) => r.event],
  ['USER', (r) => r.user ?? '-'],
  ['IP', (r) => r.ip ?? '-'],
  ['DECISION', (r) => r.decisionId ?? '-'],
  ['DETAIL', (r) => detail(r)],
];

function detail(r: AuditRecord): string {
  const m = r.metadata ?? {};
  const parts = ['method', 'server', 'name', 'code', 'scope', 'action', 'from', 'to']
    .filter((k) => m[k] !== undefined && m[k] !== null)
    .map((k) => `${k}=${typeof m[k] === 'string' ? m[k] : JSON.stringify(m[k])}`);
  const s = parts.join(' ');
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

export function toTable(records: AuditRecord[]): string {
  const rows = [TABLE_COLUMNS.map(([h]) => h), ...records.map((r) => TABLE_COLUMNS.map(([, f]) => f(r).replace(/\s+/g, ' ')))];
  const widths = TABLE_COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return `${rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n')}\n`;
}
