import type { Command } from 'commander';
import { configFileFor } from '../../audit/trail-path.js';
import { expandEnv } from '../../config/expand-env.js';
import { HatagoError } from '../../errors/index.js';
import { definitionDiff } from '../../pinning/diff.js';
import { readPinFile, updatePinFile, type JournalEntry, type PinRecord } from '../../pinning/pin-file.js';
import { pinFilePath } from '../../pinning/pin-path.js';
import { runCommand } from '../run-command.js';
import { printOut, terminalJson } from '../terminal.js';

// `hatago tools`: the pin store as an operator sees it (docs/pinning.md).
// It reads and writes the store file only, so no running hub is needed; a
// running hub notices the file changed on its next list or call, and records
// the approvals and revocations in the audit trail (the hub owns the trail).

interface ToolsOptions {
  config?: string;
  file?: string;
  server?: string;
  tool?: string;
  json?: boolean;
}

type Status = 'pinned' | 'new' | 'changed';

const statusOf = (r: PinRecord): Status => (r.pending ? 'changed' : r.approved ? 'pinned' : 'new');
const short = (d: string | undefined): string => (d === undefined ? '-' : d.replace(/^sha256:/, '').slice(0, 12));

function storeFile(opts: ToolsOptions): string {
  if (opts.file !== undefined) return pinFilePath({ security: { pinning: { file: opts.file } } });
  const found = configFileFor(opts.config);
  const value = (found?.parsed as { security?: { pinning?: { file?: unknown } } } | null | undefined)?.security?.pinning?.file;
  if (value === undefined) return pinFilePath({ security: {} });
  if (typeof value !== 'string' || value === '') {
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `${found!.file}: security.pinning.file must be a non-empty string`, data: { path: found!.file } });
  }
  return pinFilePath({ security: { pinning: { file: expandEnv(value, process.env, '/security/pinning/file') } } });
}

const matches = (opts: ToolsOptions) => (r: PinRecord): boolean =>
  (opts.server === undefined || r.server === opts.server) && (opts.tool === undefined || r.name === opts.tool);

/** approve and revoke change the store: they need a target, never "everything" by accident. */
function requireTarget(opts: ToolsOptions, verb: string): void {
  if (opts.server === undefined && opts.tool === undefined) {
    throw new HatagoError('ERR_INVALID_PARAMS', { message: `hatago tools ${verb} needs --server and/or --tool` });
  }
}

function noMatch(opts: ToolsOptions, file: string, what: string): HatagoError {
  const target = [opts.server !== undefined && `server "${opts.server}"`, opts.tool !== undefined && `tool "${opts.tool}"`].filter(Boolean).join(', ');
  return new HatagoError('ERR_INVALID_PARAMS', { message: `No ${what} for ${target} in the pin store ${file}` });
}

const operator = (): string => process.env.USER ?? process.env.USERNAME ?? 'cli';

function list(opts: ToolsOptions): void {
  const file = storeFile(opts);
  const rows = readPinFile(file).pins.filter(matches(opts));
  if (opts.json) {
    printOut(terminalJson(rows.map((r) => ({ server: r.server, kind: r.kind, name: r.name, status: statusOf(r), pinned_digest: r.digest, digest: r.pending?.digest ?? r.digest })), 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    printOut(`No pins in ${file}\n`);
    return;
  }
  const table = [['SERVER', 'KIND', 'NAME', 'STATUS', 'PINNED', 'CURRENT'], ...rows.map((r) => [r.server, r.kind, r.name, statusOf(r), short(r.digest), short(r.pending?.digest ?? r.digest)])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  printOut(table.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n');
}

function diff(opts: ToolsOptions): void {
  const file = storeFile(opts);
  const changed = readPinFile(file).pins.filter(matches(opts)).filter((r) => r.pending);
  if (changed.length === 0) {
    printOut('No changed definitions.\n');
    return;
  }
  const out: string[] = [];
  for (const r of changed) {
    out.push(`${r.kind} ${r.server}/${r.name}: pinned ${r.digest}, now ${r.pending!.digest} (seen ${r.pending!.seen_at})`);
    for (const { field, lines } of definitionDiff(r.definition, r.pending!.definition)) {
      out.push(`  ${field}:`, ...lines.map((l) => `    ${l}`));
    }
    out.push('');
  }
  printOut(out.join('\n'));
}

function approve(opts: ToolsOptions): void {
  requireTarget(opts, 'approve');
  const file = storeFile(opts);
  const at = new Date().toISOString();
  const by = operator();
  const done = updatePinFile(file, (data) => {
    const approved: JournalEntry[] = [];
    for (const r of data.pins.filter(matches(opts))) {
      if (!r.pending && r.approved) continue;
      const previous = r.digest;
      if (r.pending) {
        r.digest = r.pending.digest;
        r.definition = r.pending.definition;
        delete r.pending;
      }
      r.approved = true;
      r.approved_at = at;
      r.approved_by = by;
      approved.push({ event: 'definition_approved', server: r.server, kind: r.kind, name: r.name, pinned_digest: previous, digest: r.digest, by, at });
    }
    data.journal.push(...approved);
    return approved;
  });
  if (done.length === 0) throw noMatch(opts, file, 'new or changed definition');
  printOut(done.map((j) => `approved ${j.kind} ${j.server}/${j.name}: ${j.pinned_digest} -> ${j.digest}`).join('\n') + '\n');
}

function revoke(opts: ToolsOptions): void {
  requireTarget(opts, 'revoke');
  const file = storeFile(opts);
  const at = new Date().toISOString();
  const by = operator();
  const done = updatePinFile(file, (data) => {
    const revoked: JournalEntry[] = [];
    const keep = matches(opts);
    data.pins = data.pins.filter((r) => {
      if (!keep(r)) return true;
      revoked.push({ event: 'definition_revoked', server: r.server, kind: r.kind, name: r.name, pinned_digest: r.digest, digest: r.pending?.digest ?? null, by, at });
      return false;
    });
    data.journal.push(...revoked);
    return revoked;
  });
  if (done.length === 0) throw noMatch(opts, file, 'pin');
  printOut(done.map((j) => `revoked ${j.kind} ${j.server}/${j.name} (was ${j.pinned_digest})`).join('\n') + '\n');
}

const HELP_AFTER = `
The pin store is security.pinning.file of the config (default data/pins.json
under the working folder). A running hub re-reads it on its next list or call
and writes the approvals and revocations to the audit trail. See docs/pinning.md.
  hatago tools diff --server github
  hatago tools approve --server github --tool create_issue`;

/** `hatago tools list|diff|approve|revoke [--server S] [--tool T]`. */
export function registerToolsCommand(program: Command): Command {
  const tools = program.command('tools').description('pinned tool, prompt and resource template definitions: list them, diff a change, approve or revoke a pin').addHelpText('after', HELP_AFTER);
  const common = (c: Command) =>
    c
      .option('--config <file>', 'config whose security.pinning.file names the store (default ./hatago.config.json)')
      .option('--file <file>', 'the pin store file (overrides the config)')
      .option('--server <id>', 'only this upstream server')
      .option('--tool <name>', 'only this tool, prompt or resource template (the upstream\'s own name)');
  common(tools.command('list').description('every pin with its status (pinned, new, changed) and digests').option('--json', 'as JSON')).action(runCommand(async (o: ToolsOptions) => list(o)));
  common(tools.command('diff').description('pinned and current definitions of what changed: description and schemas, line by line')).action(runCommand(async (o: ToolsOptions) => diff(o)));
  common(tools.command('approve').description('pin the current definition (changed or new): it is shown and callable again')).action(runCommand(async (o: ToolsOptions) => approve(o)));
  common(tools.command('revoke').description('forget a pin: the hub records the definition again as new on its next sight')).action(runCommand(async (o: ToolsOptions) => revoke(o)));
  return tools;
}
