// The output formats of `hatago audit`: JSON and CSV keep every value as
// recorded (and stay valid: JSON's own escapes, RFC 4180 quoting); the table
// is for a terminal, so every cell has its control characters escaped.
import type { AuditRecord } from '../audit/record.js';
import { escapeControls, terminalJson } from './terminal.js';

export const CSV_COLUMNS = ['seq', 'timestamp', 'level', 'event', 'user', 'sessionId', 'ip', 'userAgent', 'decisionId', 'revision', 'metadata', 'hash'] as const;

/** Cells a spreadsheet would run as a formula (or DDE) begin with one of these. */
const FORMULA_START = /^[=+\-@\t\r\n]/;

/** RFC 4180: quoted when it holds a quote, comma or line break (quotes doubled); formula-like cells get a leading '. */
export function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : terminalJson(v);
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180 lines end in CRLF. */
export function toCsv(records: AuditRecord[]): string {
  const rows = records.map((r) => CSV_COLUMNS.map((c) => csvCell((r as unknown as Record<string, unknown>)[c])).join(','));
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

export function toJson(records: AuditRecord[]): string {
  return `${terminalJson(records, 2)}\n`;
}

const TABLE_COLUMNS: [string, (r: AuditRecord) => string][] = [
  ['SEQ', (r) => String(r.seq)],
  ['TIMESTAMP', (r) => String(r.timestamp)],
  ['EVENT', (r) => String(r.event)],
  ['USER', (r) => r.user ?? '-'],
  ['IP', (r) => r.ip ?? '-'],
  ['DECISION', (r) => r.decisionId ?? '-'],
  ['DETAIL', (r) => detail(r)],
];

const text = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

function detail(r: AuditRecord): string {
  const m = r.metadata ?? {};
  const parts = ['method', 'server', 'name', 'code', 'scope', 'action', 'from', 'to']
    .filter((k) => m[k] !== undefined && m[k] !== null)
    .map((k) => `${k}=${escapeControls(text(m[k]))}`);
  const s = parts.join(' ');
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/** One cell: control characters visible as \xNN / \uNNNN, other whitespace runs one space. */
const cell = (v: string): string => escapeControls(v).replace(/\s+/g, ' ');

export function toTable(records: AuditRecord[]): string {
  const rows = [TABLE_COLUMNS.map(([h]) => h), ...records.map((r) => TABLE_COLUMNS.map(([, f]) => cell(f(r))))];
  const widths = TABLE_COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return `${rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n')}\n`;
}
