import type { Command } from 'commander';
import { configFileFor } from '../../audit/trail-path.js';
import { expandEnv } from '../../config/expand-env.js';
import { HatagoError } from '../../errors/index.js';
import { approvePins, revokePins } from '../../pinning/approve.js';
import { definitionDiff } from '../../pinning/diff.js';
import { isRedisUrl, parsePins, ready, redisWhere, REDIS_PINS_CHANNEL, REDIS_PINS_KEY } from '../../pinning/pin-backend.js';
import { MAX_JOURNAL, PinFileError, readPinFile, updatePinFile, type PinFileData, type PinRecord } from '../../pinning/pin-file.js';
import { pinFilePath, pinStoreUrl } from '../../pinning/pin-path.js';
import { createRedisClient } from '../../util/redis-client.js';
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

/** The store as the CLI uses it: the file, or the Redis value the hubs share. */
interface PinStore {
  where: string;
  load(): Promise<PinFileData>;
  update<T>(change: (data: PinFileData) => T): Promise<T>;
  close(): Promise<void>;
}

function fileStore(file: string): PinStore {
  return { where: file, load: async () => readPinFile(file), update: async (change) => updatePinFile(file, change), close: async () => undefined };
}

async function redisStore(url: string): Promise<PinStore> {
  const where = redisWhere(url);
  const client = createRedisClient({ url, commandTimeoutMs: 2000 });
  client.on('error', () => undefined); // the first command's failure says it
  try {
    await ready(client);
  } catch (err) {
    client.disconnect();
    throw new HatagoError('ERR_PIN_STORE_UNAVAILABLE', { message: `pin store ${where} cannot be reached: ${(err as Error).message}` });
  }
  const load = async () => parsePins(await client.get(REDIS_PINS_KEY), where);
  return {
    where,
    load,
    update: async (change) => {
      const data = await load();
      const out = change(data);
      if (data.journal.length > MAX_JOURNAL) data.journal.splice(0, data.journal.length - MAX_JOURNAL);
      // Every hub re-reads the store on this message.
      await client.multi().set(REDIS_PINS_KEY, JSON.stringify(data)).publish(REDIS_PINS_CHANNEL, 'cli').exec();
      return out;
    },
    close: async () => void (await client.quit().catch(() => undefined)),
  };
}

/** A config string value as the hub reads it (its own ${VAR}s expanded); undefined when absent. */
function configString(found: { file: string; parsed: unknown } | undefined, pointer: string[]): string | undefined {
  let v: unknown = found?.parsed;
  for (const k of pointer) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') {
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `${found!.file}: ${pointer.join('.')} must be a non-empty string`, data: { path: found!.file } });
  }
  return expandEnv(v, process.env, `/${pointer.join('/')}`);
}

async function openStore(opts: ToolsOptions): Promise<PinStore> {
  if (opts.file !== undefined) return fileStore(pinFilePath({ security: { pinning: { file: opts.file } } }));
  const found = configFileFor(opts.config);
  const file = configString(found, ['security', 'pinning', 'file']);
  const store = configString(found, ['security', 'pinning', 'store']);
  const rateLimitStore = configString(found, ['security', 'rateLimit', 'store']);
  const url = pinStoreUrl({ security: { pinning: { ...(store !== undefined && { store }) }, ...(rateLimitStore !== undefined && { rateLimit: { store: rateLimitStore } }) } });
  if (url !== undefined && isRedisUrl(url)) return redisStore(url);
  return fileStore(pinFilePath({ security: { pinning: { ...(file !== undefined && { file }) } } }));
}

/** Runs `action` on the store named by the options, closing it after. */
async function withStore(opts: ToolsOptions, action: (store: PinStore) => Promise<void>): Promise<void> {
  const store = await openStore(opts);
  try {
    await action(store);
  } catch (err) {
    if (err instanceof PinFileError) throw new HatagoError('ERR_PIN_STORE_UNAVAILABLE', { message: err.message });
    throw err;
  } finally {
    await store.close();
  }
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

async function list(opts: ToolsOptions, store: PinStore): Promise<void> {
  const file = store.where;
  const rows = (await store.load()).pins.filter(matches(opts));
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

async function diff(opts: ToolsOptions, store: PinStore): Promise<void> {
  const changed = (await store.load()).pins.filter(matches(opts)).filter((r) => r.pending);
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

async function approve(opts: ToolsOptions, store: PinStore): Promise<void> {
  const file = store.where;
  const at = new Date().toISOString();
  const by = operator();
  const done = await store.update((data) => approvePins(data, matches(opts), by, at));
  if (done.length === 0) throw noMatch(opts, file, 'new or changed definition');
  printOut(done.map((j) => `approved ${j.kind} ${j.server}/${j.name}: ${j.pinned_digest} -> ${j.digest}`).join('\n') + '\n');
}

async function revoke(opts: ToolsOptions, store: PinStore): Promise<void> {
  const file = store.where;
  const at = new Date().toISOString();
  const by = operator();
  const done = await store.update((data) => revokePins(data, matches(opts), by, at));
  if (done.length === 0) throw noMatch(opts, file, 'pin');
  printOut(done.map((j) => `revoked ${j.kind} ${j.server}/${j.name} (was ${j.pinned_digest})`).join('\n') + '\n');
}

const HELP_AFTER = `
The pin store is security.pinning.file of the config (default data/pins.json
under the working folder), or the Redis of security.pinning.store (else of
security.rateLimit.store). A running hub re-reads it on its next list or call
(Redis: on the change message) and writes the approvals and revocations to
the audit trail. See docs/pinning.md.
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
  common(tools.command('list').description('every pin with its status (pinned, new, changed) and digests').option('--json', 'as JSON')).action(runCommand(async (o: ToolsOptions) => withStore(o, (s) => list(o, s))));
  common(tools.command('diff').description('pinned and current definitions of what changed: description and schemas, line by line')).action(runCommand(async (o: ToolsOptions) => withStore(o, (s) => diff(o, s))));
  common(tools.command('approve').description('pin the current definition (changed or new): it is shown and callable again')).action(
    runCommand(async (o: ToolsOptions) => {
      requireTarget(o, 'approve');
      await withStore(o, (s) => approve(o, s));
    }),
  );
  common(tools.command('revoke').description('forget a pin: the hub records the definition again as new on its next sight')).action(
    runCommand(async (o: ToolsOptions) => {
      requireTarget(o, 'revoke');
      await withStore(o, (s) => revoke(o, s));
    }),
  );
  return tools;
}
