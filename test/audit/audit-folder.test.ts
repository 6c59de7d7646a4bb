// `hatago audit` and `audit verify` on a folder of chains, one per replica
// (cluster.enabled), written by AuditLog: reports merge them by time,
// verify checks each chain on its own and names the bad one.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { runHatago } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

let dir: string;
let folder: string;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const entry = (timestamp: string, event: string, user: string): AuditEntry => ({ timestamp, level: 'info', event, user, sessionId: null, ip: '10.0.0.1', userAgent: null, metadata: {} });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hatago-audit-folder-'));
  folder = path.join(dir, 'logs', 'audit');
  mkdirSync(folder, { recursive: true });
  // Interleaved in time across the replicas; hub-c rotates (several files in one chain).
  const plan: Record<string, [string, string][]> = {
    'hub-a': [['2024-01-01T00:00:01.000Z', 'authentication_success'], ['2024-01-01T00:00:04.000Z', 'permission_granted']],
    'hub-b': [['2024-01-01T00:00:02.000Z', 'authentication_failure'], ['2024-01-01T00:00:05.000Z', 'permission_denied']],
    'hub-c': [['2024-01-01T00:00:03.000Z', 'permission_granted'], ['2024-01-01T00:00:06.000Z', 'authentication_failure'], ['2024-01-01T00:00:07.000Z', 'permission_granted']],
  };
  for (const [replica, entries] of Object.entries(plan)) {
    const log = await AuditLog.open(path.join(folder, `${replica}.log`), replica === 'hub-c' ? { maxBytes: 700 } : {});
    for (const [t, event] of entries) await log.append(entry(t, event, replica));
    await log.close();
  }
  writeFileSync(path.join(dir, 'hatago.config.json'), JSON.stringify({ cluster: { enabled: true, redis: 'redis://127.0.0.1:6379' } }));
});

const audit = (args: string[]) => runHatago(['audit', ...args], { cwd: dir });

describe('hatago audit on a folder of chains', () => {
  it('merges every replica\'s chain by time (--file folder, and --config with cluster.enabled)', async () => {
    for (const args of [['--file', folder], []]) {
      const r = await audit([...args, '--format', 'json']);
      expect(r.code).toBe(0);
      const records = JSON.parse(r.output) as { timestamp: string; user: string }[];
      expect(records.map((x) => `${x.timestamp.slice(17, 19)} ${x.user}`)).toEqual(['01 hub-a', '02 hub-b', '03 hub-c', '04 hub-a', '05 hub-b', '06 hub-c', '07 hub-c']);
    }
    const failures = JSON.parse((await audit(['--file', folder, '--format', 'json', '--event', 'authentication_failure'])).output) as { user: string }[];
    expect(failures.map((x) => x.user)).toEqual(['hub-b', 'hub-c']);
  });

  it('verify checks each chain on its own', async () => {
    const r = await audit(['verify', '--file', folder]);
    expect(r.code).toBe(0);
    const lines = r.output.trim().split('\n');
    expect(lines[0]).toBe(`ok: ${path.join(folder, 'hub-a.log')}: 2 records`);
    expect(lines[1]).toBe(`ok: ${path.join(folder, 'hub-b.log')}: 2 records`);
    expect(lines[2]).toMatch(new RegExp(`^ok: ${path.join(folder, 'hub-c.log').replace(/[.]/g, '\\.')}: 3 records in \\d+ files$`));
    expect(lines[3]).toBe('ok: 3 chains, 7 records');
    expect(lines).toHaveLength(4);
  });

  it('verify names the edited chain, still checks the others, and exits 1', async () => {
    const copy = path.join(dir, 'copy');
    mkdirSync(copy);
    for (const name of ['hub-a.log', 'hub-a.log.head', 'hub-b.log', 'hub-b.log.head']) writeFileSync(path.join(copy, name), readFileSync(path.join(folder, name)));
    const b = path.join(copy, 'hub-b.log');
    writeFileSync(b, readFileSync(b, 'utf8').replace('permission_denied', 'permission_granted'));
    const r = await audit(['verify', '--file', copy]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`ok: ${path.join(copy, 'hub-a.log')}: 2 records\nbad: ${b}:2: hash does not match the record (the record was edited) (1 records verified before it)\nbad: 1 of 2 chains\n`);
  });

  it('an empty folder is one line, exit 1', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(await audit(['verify', '--file', empty])).toEqual({ code: 1, output: `hatago audit: no audit chains in the folder ${empty}\n` });
  });
});
