// `hatago audit`: reports from the audit trail (the guide's "Compliance
// Reporting") and `hatago audit verify`. A folder of chains (one per replica,
// cluster.enabled) is merged by time for reports and verified chain by chain. The trail is found from --file, or
// from --config (security.audit.file, relative to the working folder as the
// hub resolves it), or from ./hatago.config.json or the default. Only that
// key of the config is read: auditors need no secrets of the hub.
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { chainsIn, isFolder } from '../../audit/chains.js';
import { verifyTrail } from '../../audit/index.js';
import { verifyChains } from '../../audit/verify.js';
import { isSecurityEventName, SECURITY_EVENT_NAMES } from '../../audit/event-names.js';
import { readTrail, readTrails } from '../../audit/query.js';
import { AuditArgumentError, parseDateArg, parseDurationArg } from '../../audit/time-args.js';
import { auditFileFromConfig } from '../../audit/trail-path.js';
import { toCsv, toJson, toTable } from '../audit-format.js';
import { runCommand } from '../run-command.js';
import { escapeControls, escapeText, printErr, printOut } from '../terminal.js';

interface TrailOptions {
  config?: string;
  file?: string;
}

interface ReportOptions extends TrailOptions {
  start?: string;
  end?: string;
  last?: string;
  event?: string[];
  format: string;
  export?: string;
  output?: string;
}

const FORMATS = ['json', 'csv', 'table'];

/** One trail (a file and its rotated files), or a folder of chains, one per replica. */
type Trail = { kind: 'file'; file: string } | { kind: 'folder'; folder: string; chains: string[] };

async function trailOf(opts: TrailOptions): Promise<Trail> {
  if (opts.file !== undefined && opts.config !== undefined) throw new AuditArgumentError('give --file or --config, not both');
  const file = opts.file ?? auditFileFromConfig(opts.config);
  if (!existsSync(file)) throw new AuditArgumentError(`no audit trail at ${file}`);
  if (!isFolder(file)) return { kind: 'file', file };
  const chains = chainsIn(file);
  if (chains.length === 0) throw new AuditArgumentError(`no audit chains in the folder ${file}`);
  return { kind: 'folder', folder: file, chains };
}

/** Argument errors are one line and exit 1; anything else goes to runCommand. */
function withArgumentErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return runCommand(async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (!(err instanceof AuditArgumentError)) throw err;
      printErr(`hatago audit: ${err.message}\n`);
      process.exitCode = 1;
    }
  });
}

async function report(opts: ReportOptions): Promise<void> {
  const format = (opts.export ?? opts.format).toLowerCase();
  if (!FORMATS.includes(format)) throw new AuditArgumentError(`format "${format}" is not one of ${FORMATS.join(', ')}`);
  if (opts.last !== undefined && opts.start !== undefined) throw new AuditArgumentError('give --last or --start, not both');
  const from = opts.last !== undefined ? new Date(Date.now() - parseDurationArg('--last', opts.last)) : opts.start !== undefined ? parseDateArg('--start', opts.start, 'start') : undefined;
  const to = opts.end !== undefined ? parseDateArg('--end', opts.end, 'end') : undefined;
  if (from && to && from > to) throw new AuditArgumentError(`--start is after --end`);
  const events = (opts.event ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e.length > 0);
  const unknown = events.filter((e) => !isSecurityEventName(e));
  if (unknown.length > 0) {
    throw new AuditArgumentError(`--event ${unknown.map((e) => `"${e}"`).join(', ')} is not an event name; the events are ${SECURITY_EVENT_NAMES.join(', ')}`);
  }
  const trail = await trailOf(opts);
  const query = { ...(from && { from }), ...(to && { to }), events };
  // A folder: every replica's chain, merged by time.
  const { records, skipped } = trail.kind === 'file' ? readTrail(trail.file, query) : readTrails(trail.chains, query);
  for (const s of skipped) printErr(`hatago audit: warning: ${s.file}:${s.line} is not a record (run hatago audit verify)\n`);
  const text = format === 'json' ? toJson(records) : format === 'csv' ? toCsv(records) : toTable(records);
  if (opts.output !== undefined) {
    writeFileSync(opts.output, text);
    printErr(`hatago audit: wrote ${records.length} records to ${opts.output}\n`);
  } else if (format === 'table') {
    printOut(text);
  } else {
    // JSON is terminal-safe as it is; CSV keeps its cells exact for a pipe or a file, and is escaped only for a terminal.
    process.stdout.write(format === 'csv' && process.stdout.isTTY ? escapeText(text) : text);
  }
}

async function verify(opts: TrailOptions): Promise<void> {
  const trail = await trailOf(opts);
  if (trail.kind === 'folder') return verifyFolder(trail.chains);
  const r = verifyTrail(trail.file);
  if (r.ok) {
    printOut(`ok: ${r.records} records${r.files.length > 1 ? ` in ${r.files.length} files` : ''}\n`);
    return;
  }
  printOut(`bad: ${escapeControls(r.file)}:${r.line}: ${escapeControls(r.reason)} (${r.records} records verified before it)\n`);
  process.exitCode = 1;
}

/** Each chain on its own: one line per chain, then the total; exit 1 when any is bad. */
function verifyFolder(chains: string[]): void {
  let bad = 0;
  let records = 0;
  for (const { file, result: r } of verifyChains(chains)) {
    records += r.records;
    if (r.ok) {
      printOut(`ok: ${escapeControls(file)}: ${r.records} records${r.files.length > 1 ? ` in ${r.files.length} files` : ''}\n`);
    } else {
      bad++;
      printOut(`bad: ${escapeControls(r.file)}:${r.line}: ${escapeControls(r.reason)} (${r.records} records verified before it)\n`);
    }
  }
  if (bad === 0) {
    printOut(`ok: ${chains.length} chains, ${records} records\n`);
    return;
  }
  printOut(`bad: ${bad} of ${chains.length} chains\n`);
  process.exitCode = 1;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerAuditCommand(program: Command): Command {
  const audit = program
    .command('audit')
    .description('report on the audit trail (filters, json/csv/table, export), or verify its hash chain')
    .option('--config <file>', 'config file, to find security.audit.file')
    .option('--file <file>', 'the audit file (rotated files next to it are read too), or a folder of chains, one per replica')
    .option('--start <date>', 'from this date (YYYY-MM-DD, UTC) or ISO time, inclusive')
    .option('--end <date>', 'up to this date (the whole day) or ISO time, inclusive')
    .option('--last <duration>', 'only the last 30s, 15m, 24h, 7d, ...')
    .option('--event <name>', 'only these events (repeat or comma-separate)', collect)
    .option('--format <format>', 'json, csv or table', 'table')
    .option('--export <format>', 'export format (json or csv); same as --format')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(withArgumentErrors(async (opts: ReportOptions) => report(opts)));
  audit
    .command('verify')
    .description('check every record of the trail and its hash chain; exit 1 naming the first bad line')
    .option('--config <file>', 'config file, to find security.audit.file')
    .option('--file <file>', 'the audit file (rotated files next to it are read too), or a folder of chains, one per replica')
    .action(withArgumentErrors(async (opts: TrailOptions, cmd: Command) => verify({ ...(cmd.parent?.opts() as TrailOptions), ...opts })));
  return audit;
}
