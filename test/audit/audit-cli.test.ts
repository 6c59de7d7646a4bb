// `hatago audit` as a real process (node dist/bin/hatago.js audit ...) over a
// trail written by AuditLog, rotated across several files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { SECURITY_EVENT_NAMES } from '../../src/audit/event-names.js';
import { anchorName, headName } from '../../src/audit/files.js';
import { runHatago } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const made: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

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
  dir = tempDir('hatago-audit-cli-');
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
    const csv = readFileSync(out, 'utf8');
    expect(csv.endsWith('\r\n')).toBe(true); // RFC 4180 line ends
    const lines = csv.trim().split('\r\n');
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
    const copyDir = tempDir('hatago-audit-tamper-');
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

/** A trail of `n` records (one per write) in a fresh folder. */
async function trail(entries: AuditEntry[], opts: { maxBytes?: number; maxFiles?: number } = {}): Promise<string> {
  const f = path.join(tempDir('hatago-audit-cli-t-'), 'audit.log');
  const log = await AuditLog.open(f, opts);
  for (const e of entries) await log.append(e);
  await log.close();
  return f;
}

const many = (n: number) => Array.from({ length: n }, (_, i) => at(`2024-03-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, 'permission_granted', `user${i}`));

describe('hatago audit verify: the head anchor', () => {
  it('fails naming the head when it is missing', async () => {
    const f = await trail(many(3));
    rmSync(headName(f));
    const r = await runHatago(['audit', 'verify', '--file', f]);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`bad: ${headName(f)}:1: the head anchor is missing, so records cut from the end of ${f} would go unnoticed (3 records verified before it)`);
  });

  it('fails when the head is garbled', async () => {
    const f = await trail(many(3));
    writeFileSync(headName(f), '{"seq":3,');
    const r = await runHatago(['audit', 'verify', '--file', f]);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`bad: ${headName(f)}:1: the head anchor is not JSON, so records cut from the end of ${f} would go unnoticed (3 records verified before it)`);
  });

  it('fails when records were cut from the end and the head removed with them', async () => {
    const f = await trail(many(5));
    writeFileSync(f, readFileSync(f, 'utf8').split('\n').slice(0, 2).map((l) => `${l}\n`).join(''));
    rmSync(headName(f));
    const r = await runHatago(['audit', 'verify', '--file', f]);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toMatch(new RegExp(`^bad: ${headName(f).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: the head anchor is missing.* \\(2 records verified before it\\)$`));
  });
});

describe('hatago audit verify after retention', () => {
  it('passes on the kept files (chained from the anchor) and still names an edit in the first kept file', async () => {
    const f = await trail(many(60), { maxBytes: 1500, maxFiles: 2 });
    const ok = await runHatago(['audit', 'verify', '--file', f]);
    expect(ok.code).toBe(0);
    const anchor = JSON.parse(readFileSync(anchorName(f), 'utf8')) as { seq: number };
    expect(ok.output.trim()).toBe(`ok: ${60 - anchor.seq} records in 3 files`);
    const first = `${f}.2`;
    const ls = readFileSync(first, 'utf8').split('\n');
    ls[0] = ls[0]!.replace(/"user(\d+)"/, '"mallory"');
    writeFileSync(first, ls.join('\n'));
    const bad = await runHatago(['audit', 'verify', '--file', f]);
    expect(bad.code).toBe(1);
    expect(bad.output.trim()).toBe(`bad: ${first}:1: hash does not match the record (the record was edited) (0 records verified before it)`);
  });
});

describe('hatago audit shows client text without running it', () => {
  // What a login attempt or a resources/read may carry: colours, a cleared screen, a window title, a bidi override.
  const ESC_USER = 'eve\x1b[2J\x1b]0;owned\x07';
  const URI = 'file:///etc/\u202epasswd\x1b[31m';
  let f: string;
  beforeAll(async () => {
    f = await trail([
      { ...at('2024-04-01T00:00:00.000Z', 'authentication_failure', ESC_USER), userAgent: 'curl\x9b31m', metadata: { method: 'password', code: 'ERR_UNAUTHENTICATED' } },
      { ...at('2024-04-01T00:00:01.000Z', 'permission_denied', 'bob'), metadata: { method: 'resources/read', server: 'fs', name: URI, code: '=HYPERLINK("x")' } },
    ]);
  });

  it('table: no raw control characters, the escaped form visible', async () => {
    const r = await runHatago(['audit', '--file', f]);
    expect(r.code).toBe(0);
    expect(r.output).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(r.output).toContain('eve\\x1b[2J\\x1b]0;owned\\x07');
    expect(r.output).toContain('name=file:///etc/\\u202epasswd\\x1b[31m');
    expect(r.output.trim().split('\n')).toHaveLength(3);
  });

  it('JSON: the exact data back, with no raw control character in the output', async () => {
    const r = await runHatago(['audit', '--file', f, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.output).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const recs = JSON.parse(r.output) as { user: string; userAgent: string; metadata: { name?: string } }[];
    expect(recs[0]!.user).toBe(ESC_USER);
    expect(recs[0]!.userAgent).toBe('curl\x9b31m');
    expect(recs[1]!.metadata.name).toBe(URI);
  });

  it('CSV file: the exact data, RFC 4180 quoting, formula cells defused', async () => {
    const out = path.join(path.dirname(f), 'out.csv');
    const r = await runHatago(['audit', '--file', f, '--export', 'csv', '--output', out]);
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').split('\r\n');
    expect(rows[1]).toContain(`,${ESC_USER},`);
    // The metadata as the trail holds it: keys sorted (the canonical JSON its hash covers).
    expect(rows[2]).toContain('"{""code"":""=HYPERLINK(\\""x\\"")"",""method"":""resources/read"",""name"":""file:///etc/\\u202epasswd\\u001b[31m"",""server"":""fs""}"');
    const bob = rows[2]!.split(',');
    expect(bob[4]).toBe('bob');
  });

  it('a cell that starts like a formula gets a leading quote', async () => {
    const g = await trail([at('2024-04-02T00:00:00.000Z', 'authentication_failure', '=cmd|"/c calc"!A1'), at('2024-04-02T00:00:01.000Z', 'authentication_failure', '@SUM(1)')]);
    const out = path.join(path.dirname(g), 'out.csv');
    const r = await runHatago(['audit', '--file', g, '--export', 'csv', '--output', out]);
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').split('\r\n');
    expect(rows[1]!.split(',')[4]).toBe(`"'=cmd|""/c calc""!A1"`);
    expect(rows[2]!.split(',')[4]).toBe(`"'@SUM(1)"`);
  });
});

describe('hatago audit --config reads only the trail path', () => {
  it('needs none of the hub secrets the config references, and expands ${VAR}s of security.audit.file', async () => {
    const d = tempDir('hatago-audit-cli-cfg-');
    const f = await trail(many(2));
    writeFileSync(path.join(d, 'hatago.config.json'), JSON.stringify({
      security: { authentication: { enabled: true, secret: '${HATAGO_AUTH_SECRET}' }, audit: { file: '${TRAIL_DIR}/audit.log' } },
      mcpServers: { x: { command: '${UPSTREAM_BIN}' } },
    }));
    const r = await runHatago(['audit', '--config', 'hatago.config.json', '--format', 'json'], { cwd: d, env: { TRAIL_DIR: path.dirname(f), HATAGO_AUTH_SECRET: undefined } });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.output) as unknown[]).length).toBe(2);
    const v = await runHatago(['audit', 'verify', '--config', 'hatago.config.json'], { cwd: d, env: { TRAIL_DIR: path.dirname(f), HATAGO_AUTH_SECRET: undefined } });
    expect(v.code).toBe(0);
    expect(v.output.trim()).toBe('ok: 2 records');
  });

  it('a ${VAR} of the trail path itself that is unset is still an error', async () => {
    const d = tempDir('hatago-audit-cli-cfg-');
    writeFileSync(path.join(d, 'hatago.config.json'), JSON.stringify({ security: { audit: { file: '${TRAIL_DIR}/audit.log' } } }));
    const r = await runHatago(['audit', '--config', 'hatago.config.json'], { cwd: d, env: { TRAIL_DIR: undefined } });
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe('hatago: Config /security/audit/file references environment variable TRAIL_DIR, which is not set (use ${TRAIL_DIR:-default} for a default) [ERR_CONFIG_ENV_MISSING]');
  });
});

describe('hatago audit --event', () => {
  it('rejects an unknown event name, listing the valid ones', async () => {
    const r = await audit(['--file', file, '--event', 'permision_denied,logout']);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`hatago audit: --event "permision_denied" is not an event name; the events are ${SECURITY_EVENT_NAMES.join(', ')}`);
    expect(SECURITY_EVENT_NAMES).toContain('permission_denied');
  });
});
