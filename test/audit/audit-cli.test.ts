// `hatago audit` as a real process (node dist/cli/main.js audit ...) over a
// trail written by AuditLog, rotated across several files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { runHatago } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const at = (timestamp: string, event: string, user = 'alice'): AuditEntry => ({
  timestamp,
  level: 'info',
  event,
  user,
  sessionId: null,
  ip: '10.0.0.1',
  userAgent: 'ua, with "comma"',
  metadata: { method: 'tools/call', note: '=cmd()' },
});

let dir: string;
let file: string;
const recent = new Date(Date.now() - 3_600_000).toISOString();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hatago-audit-cli-'));
  file = path.join(dir, 'trail', 'audit.log');
  const log = await AuditLog.open(file, { maxBytes: 1500 });
  const entries = [
    at('2023-12-31T23:59:59.999Z', 'permission_granted'),
    at('2024-01-01T00:00:00.000Z', 'authentication_success'),
    at('2024-01-15T10:00:00.000Z', 'authentication_failure', 'bob'),
    at('2024-01-31T23:59:59.000Z', 'permission_denied'),
    at('2024-02-01T00:00:00.000Z', 'permission_granted'),
    at('2024-02-02T00:00:00.000Z', 'authentication_failure', 'carol'),
    at(recent, 'authentication_failure', 'dave'),
    at(recent, 'permission_granted', 'dave'),
  ];
  for (const e of entries) await log.append(e); // one by one: rotation happens between writes
  await log.close();
  writeFileSync(path.join(dir, 'hatago.config.json'), JSON.stringify({ security: { audit: { file: 'trail/audit.log' } } }));
});

const audit = (args: string[]) => runHatago(['audit', ...args], { cwd: dir });

describe('hatago audit', () => {
  it('reads rotated files in order and filters by --start/--end (whole days, UTC) as JSON', async () => {
    const r = await audit(['--file', file, '--start', '2024-01-01', '--end', '2024-01-31', '--format', 'json']);
    expect(r.code).toBe(0);
    const recs = JSON.parse(r.output) as { seq: number; event: string }[];
    expect(recs.map((x) => x.seq)).toEqual([2, 3, 4]);
    expect(recs.map((x) => x.event)).toEqual(['authentication_success', 'authentication_failure', 'permission_denied']);
  });

  it('filters by --event and --last, finding the file through --config', async () => {
    const r = await audit(['--config', 'hatago.config.json', '--event', 'authentication_failure', '--last', '24h', '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.output) as { user: string }[]).map((x) => x.user)).toEqual(['dave']);
    const all = await audit(['--config', 'hatago.config.json', '--event', 'authentication_failure', '--format', 'json']);
    expect((JSON.parse(all.output) as { user: string }[]).map((x) => x.user)).toEqual(['bob', 'carol', 'dave']);
  });

  it('exports CSV to a file, with quoting and formula-safe cells', async () => {
    const out = path.join(dir, 'audit-2024-01.csv');
    const r = await audit(['--file', file, '--start', '2024-01-01', '--end', '2024-01-31', '--export', 'csv', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.output).toContain(`wrote 3 records to ${out}`);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('seq,timestamp,level,event,user,sessionId,ip,userAgent,decisionId,revision,metadata,hash');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^2,2024-01-01T00:00:00.000Z,info,authentication_success,alice,,10.0.0.1,"ua, with ""comma""",,,"\{""method"":""tools\/call"",""note"":""=cmd\(\)""\}",[0-9a-f]{64}$/);
  });

  it('prints a table by default', async () => {
    const r = await audit(['--file', file, '--event', 'permission_denied']);
    expect(r.code).toBe(0);
    const lines = r.output.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIMESTAMP\s+EVENT\s+USER\s+IP\s+DECISION\s+DETAIL$/);
    expect(lines[1]).toMatch(/^4\s+2024-01-31T23:59:59.000Z\s+permission_denied\s+alice\s+10.0.0.1\s+-\s+method=tools\/call$/);
    expect(lines).toHaveLength(2);
  });

  it.each([
    [['--start', '2024-13-01'], /--start "2024-13-01" is not a calendar date/],
    [['--end', 'yesterday'], /--end "yesterday" is not a date/],
    [['--last', '24 hours'], /--last "24 hours" is not a duration/],
    [['--last', '0h'], /--last "0h" is not a duration/],
    [['--start', '2024-02-01', '--end', '2024-01-01'], /--start is after --end/],
    [['--format', 'xml'], /format "xml" is not one of json, csv, table/],
  ])('rejects %j in one line, exit 1', async (args, message) => {
    const r = await audit(['--file', file, ...args]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(message);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    expect(r.output).not.toMatch(/\s+at /);
  });

  it('says so when there is no trail', async () => {
    const r = await audit(['--file', path.join(dir, 'none.log')]);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`hatago audit: no audit trail at ${path.join(dir, 'none.log')}`);
  });
});

describe('hatago audit verify', () => {
  it('ok across rotated files', async () => {
    const r = await audit(['verify', '--file', file]);
    expect(r.code).toBe(0);
    expect(r.output.trim()).toMatch(/^ok: 8 records in \d+ files$/);
  });

  it('names the first bad line of an edited trail and exits 1', async () => {
    const copyDir = mkdtempSync(path.join(tmpdir(), 'hatago-audit-tamper-'));
    const copy = path.join(copyDir, 'audit.log');
    const log = await AuditLog.open(copy);
    for (let i = 0; i < 3; i++) await log.append(at('2024-01-01T00:00:00.000Z', 'permission_granted'));
    await log.close();
    const lines = readFileSync(copy, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"alice"', '"mallory"');
    writeFileSync(copy, lines.join('\n'));
    const r = await runHatago(['audit', 'verify', '--file', copy]);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`bad: ${copy}:2: hash does not match the record (the record was edited) (1 records verified before it)`);
  });
});
