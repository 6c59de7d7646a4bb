import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { anchorName, headName, lockName, rotatedNumbers, trailFiles } from '../../src/audit/files.js';
import { AuditLockedError } from '../../src/audit/lock.js';
import { verifyTrail } from '../../src/audit/verify.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { packagePath } from '../../src/util/package-root.js';

useProcessCleanup();

const entry = (i: number): AuditEntry => ({
  level: 'info',
  event: 'permission_granted',
  user: `u${i % 3}`,
  sessionId: null,
  ip: '127.0.0.1',
  userAgent: null,
  decisionId: `d-${i}`,
  revision: 'r1',
  metadata: { method: 'tools/call', i },
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmpFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-audit-'));
  dirs.push(dir);
  return path.join(dir, 'logs', 'audit.log');
}

async function writeTrail(n: number, maxBytes?: number, more: { maxFiles?: number; file?: string } = {}): Promise<string> {
  const file = more.file ?? tmpFile();
  const log = await AuditLog.open(file, { ...(maxBytes !== undefined && { maxBytes }), ...(more.maxFiles !== undefined && { maxFiles: more.maxFiles }) });
  // Sequential when rotating: rotation happens between writes (a batch is never split).
  if (maxBytes !== undefined) for (let i = 0; i < n; i++) await log.append(entry(i));
  else await Promise.all(Array.from({ length: n }, (_, i) => log.append(entry(i))));
  await log.close();
  return file;
}

const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0);
const writeLines = (f: string, ls: string[]) => writeFileSync(f, ls.map((l) => `${l}\n`).join(''));

describe('AuditLog', () => {
  test('chains concurrent appends: every record once, seq 1..N, verify ok', async () => {
    const file = tmpFile();
    const log = await AuditLog.open(file);
    const records = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i))));
    await log.close();
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const written = lines(file).map((l) => JSON.parse(l) as { decisionId: string; component: string });
    expect(written).toHaveLength(300);
    expect(new Set(written.map((r) => r.decisionId)).size).toBe(300);
    expect(written[0]).toMatchObject({ component: 'security-audit', event: 'permission_granted', seq: 1 });
    expect(verifyTrail(file)).toEqual({ ok: true, records: 300, files: [file] });
  });

  test('reopening continues the chain', async () => {
    const file = await writeTrail(5);
    const log = await AuditLog.open(file);
    const r = await log.append(entry(5));
    await log.close();
    expect(r.seq).toBe(6);
    expect(verifyTrail(file)).toMatchObject({ ok: true, records: 6 });
  });

  test('rotates past maxBytes; the new file chains to the old one and verify reads them in order', async () => {
    const file = await writeTrail(40, 2000);
    const files = trailFiles(file);
    expect(files.length).toBeGreaterThan(2);
    expect(files[files.length - 1]).toBe(file);
    expect(files[files.length - 2]).toBe(`${file}.1`);
    const first = JSON.parse(lines(files[0]!)[0]!) as { seq: number };
    expect(first.seq).toBe(1);
    expect(verifyTrail(file)).toMatchObject({ ok: true, records: 40 });
    // Reordering whole rotated files breaks the chain at the first record of the moved one.
    const a = readFileSync(`${file}.1`, 'utf8');
    const b = readFileSync(`${file}.2`, 'utf8');
    writeFileSync(`${file}.1`, b);
    writeFileSync(`${file}.2`, a);
    const r = verifyTrail(file);
    expect(r).toMatchObject({ ok: false, line: 1 });
  });

  test('removing a rotated file is detected at the next file', async () => {
    const file = await writeTrail(40, 2000);
    rmSync(`${file}.1`);
    const r = verifyTrail(file);
    expect(r).toMatchObject({ ok: false, file, line: 1 });
    if (!r.ok) expect(r.reason).toMatch(/seq/);
  });

  test('fails the append (rejects) when the file cannot be written, and recovers after', async () => {
    const file = await writeTrail(3);
    const log = await AuditLog.open(file);
    rmSync(file);
    mkdirSync(file); // the path is now a folder: nothing can be appended
    await expect(log.append(entry(3))).rejects.toThrow();
    rmSync(file, { recursive: true });
    writeFileSync(file, '');
    const r = await log.append(entry(4));
    expect(r.seq).toBe(4); // the failed record did not consume a seq
    await log.close();
    expect(existsSync(file)).toBe(true);
  });
});

describe('verifyTrail names the first bad line', () => {
  test('edited record', async () => {
    const file = await writeTrail(10);
    const ls = lines(file);
    ls[4] = ls[4]!.replace('"u1"', '"mallory"');
    writeLines(file, ls);
    expect(verifyTrail(file)).toMatchObject({ ok: false, file, line: 5, reason: expect.stringMatching(/edited/) });
  });

  test('removed record', async () => {
    const file = await writeTrail(10);
    const ls = lines(file);
    ls.splice(3, 1);
    writeLines(file, ls);
    expect(verifyTrail(file)).toMatchObject({ ok: false, line: 4, reason: expect.stringMatching(/seq is 5, expected 4/) });
  });

  test('removed first record', async () => {
    const file = await writeTrail(4);
    writeLines(file, lines(file).slice(1));
    expect(verifyTrail(file)).toMatchObject({ ok: false, line: 1 });
  });

  test('reordered records', async () => {
    const file = await writeTrail(10);
    const ls = lines(file);
    [ls[6], ls[7]] = [ls[7]!, ls[6]!];
    writeLines(file, ls);
    expect(verifyTrail(file)).toMatchObject({ ok: false, line: 7 });
  });

  test('re-numbered after a removal still fails on prevHash', async () => {
    const file = await writeTrail(6);
    const ls = lines(file).map((l) => JSON.parse(l) as Record<string, unknown>);
    ls.splice(2, 1);
    ls.forEach((r, i) => (r.seq = i + 1));
    writeLines(file, ls.map((r) => JSON.stringify(r)));
    expect(verifyTrail(file)).toMatchObject({ ok: false, line: 3 });
  });

  test('torn last line (truncated mid-record)', async () => {
    const file = await writeTrail(5);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 30));
    expect(verifyTrail(file)).toMatchObject({ ok: false, line: 5, reason: expect.stringMatching(/not a JSON record/) });
  });

  test('records cut from the end (clean truncation) fall short of the head anchor', async () => {
    const file = await writeTrail(5);
    writeLines(file, lines(file).slice(0, 3));
    expect(verifyTrail(file)).toMatchObject({ ok: false, line: 4, reason: expect.stringMatching(/cut from the end/) });
  });

  test('an empty trail verifies with 0 records', () => {
    const file = tmpFile();
    expect(verifyTrail(file)).toMatchObject({ ok: true, records: 0 });
  });

  test('a missing head is a failure naming it, unless the trail is empty', async () => {
    const file = await writeTrail(5);
    rmSync(headName(file));
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: headName(file), line: 1, reason: expect.stringMatching(/^the head anchor is missing/) });
  });

  test('a garbled head is a failure', async () => {
    const file = await writeTrail(5);
    writeFileSync(headName(file), '{"seq": 5, "ha');
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: headName(file), reason: expect.stringMatching(/^the head anchor is not JSON/) });
    writeFileSync(headName(file), '{"seq": "5", "hash": "x"}');
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: headName(file), reason: expect.stringMatching(/does not hold/) });
  });

  test('records cut from the end with the head deleted too still fail', async () => {
    const file = await writeTrail(5);
    writeLines(file, lines(file).slice(0, 3));
    rmSync(headName(file));
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: headName(file), reason: expect.stringMatching(/missing/) });
  });
});

describe('the head is part of each batch', () => {
  test('a head that cannot be written fails the batch, which leaves no record behind', async () => {
    const file = await writeTrail(2);
    const log = await AuditLog.open(file);
    rmSync(headName(file));
    mkdirSync(headName(file)); // the head's path is now a folder
    await expect(log.append(entry(2))).rejects.toThrow(/EISDIR/);
    expect(lines(file)).toHaveLength(2); // the records of the failed batch were cut off again
    rmSync(headName(file), { recursive: true });
    const r = await log.append(entry(3));
    expect(r.seq).toBe(3);
    await log.close();
    expect(verifyTrail(file)).toEqual({ ok: true, records: 3, files: [file] });
  });

  test('the head is overwritten in place with one fixed-width record', async () => {
    const file = tmpFile();
    const log = await AuditLog.open(file);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(entry(i))));
    await log.close();
    const text = readFileSync(headName(file), 'utf8');
    expect(text).toHaveLength(128);
    const last = JSON.parse(lines(file).at(-1)!) as { seq: number; hash: string };
    expect(JSON.parse(text)).toEqual({ seq: 50, hash: last.hash });
  });
});

describe('durable writes', () => {
  /** The open flags of this process's descriptors of `file` (from /proc/self/fdinfo). */
  const openFlags = (file: string): number[] =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) !== file) return [];
        return [parseInt(/^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8)];
      } catch {
        return []; // a descriptor closed meanwhile
      }
    });

  test('the trail and its head are written O_DSYNC (each write durable on return, one thread-pool trip), and not when sync is off', async () => {
    const file = tmpFile();
    const log = await AuditLog.open(file);
    await log.append(entry(0));
    const trail = openFlags(file);
    const head = openFlags(headName(file));
    await log.close();
    expect(trail).toHaveLength(1);
    expect(head).toHaveLength(1);
    for (const flags of [...trail, ...head]) expect(flags & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(trail[0]! & constants.O_APPEND).toBe(constants.O_APPEND);
    expect(verifyTrail(file)).toEqual({ ok: true, records: 1, files: [file] });

    const unsynced = tmpFile();
    const fast = await AuditLog.open(unsynced, { sync: false });
    await fast.append(entry(0));
    const flags = [...openFlags(unsynced), ...openFlags(headName(unsynced))];
    await fast.close();
    expect(flags).toHaveLength(2);
    for (const f of flags) expect(f & constants.O_DSYNC).toBe(0);
  });
});

describe('a short write', () => {
  test('a group the file takes only part of (a full disk: here a file-size limit) fails, and its part is cut off again', async () => {
    const file = tmpFile();
    mkdirSync(path.dirname(file), { recursive: true });
    // The built trail in a child whose files may not pass 12 KiB (ulimit -f): the fourth 3.3 KB record fits only in part.
    const script = `
      process.on('SIGXFSZ', () => {}); // the kernel's signal past the limit; the write returns what it stored
      const { AuditLog } = await import(${JSON.stringify(packagePath('dist', 'audit', 'audit-log.js'))});
      const log = await AuditLog.open(${JSON.stringify(file)});
      for (let i = 0; i < 4; i++) {
        const e = { level: 'info', event: 'permission_granted', user: 'u', sessionId: null, ip: null, userAgent: null, metadata: { i, pad: 'x'.repeat(3300) } };
        console.log(await log.append(e).then((r) => 'ok ' + r.seq, (err) => 'rejected ' + err.message));
      }
      await log.close();
    `;
    const child = spawnProcess('bash', ['-c', 'ulimit -f 12 && exec "$0" --input-type=module -e "$1"', process.execPath, script]);
    expect(await child.waitForExit(15000)).toBe(0);
    const out = child.output().trim().split('\n');
    expect(out.slice(0, 3)).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(out[3]).toMatch(/^rejected audit file .*audit\.log: wrote \d+ of \d+ bytes$/);
    expect(lines(file)).toHaveLength(3); // no torn line left behind
    expect(verifyTrail(file)).toEqual({ ok: true, records: 3, files: [file] });
  });
});

describe('group commit', () => {
  test('records queued while a group is written go out together: fewer groups than records, one head update per group', async () => {
    const file = tmpFile();
    const log = await AuditLog.open(file);
    // All appended in one tick: the first starts a group alone, the other 99 queue behind its write.
    const records = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(entry(i))));
    const stats = log.stats;
    await log.close();
    expect(stats).toEqual({ records: 100, groups: 2, headWrites: 2 });
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1)); // chain order = append order = file order
    expect(lines(file).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(records.map((r) => r.seq));
    expect(verifyTrail(file)).toEqual({ ok: true, records: 100, files: [file] });
  });

  test('groups are bounded at 512 records', async () => {
    const file = tmpFile();
    const log = await AuditLog.open(file);
    await Promise.all(Array.from({ length: 1201 }, (_, i) => log.append(entry(i))));
    const stats = log.stats;
    await log.close();
    expect(stats).toEqual({ records: 1201, groups: 4, headWrites: 4 }); // 1, 512, 512, 176
    expect(verifyTrail(file)).toMatchObject({ ok: true, records: 1201 });
  });

  test('a head that fails while the next group is written behind it: both groups are cut off and rejected, the chain goes on from before them', async () => {
    const file = await writeTrail(2);
    const log = await AuditLog.open(file);
    rmSync(headName(file));
    mkdirSync(headName(file)); // the head's path is now a folder
    const first = log.append(entry(2)); // a group of its own
    const behind = [log.append(entry(3)), log.append(entry(4))]; // the next group, written while the first one's head fails
    const outcomes = await Promise.allSettled([first, ...behind]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/EISDIR/);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/EISDIR/);
    expect(lines(file)).toHaveLength(2); // neither group left a record behind
    rmSync(headName(file), { recursive: true });
    const r = await log.append(entry(5));
    expect(r.seq).toBe(3);
    expect(log.stats).toEqual({ records: 1, groups: 1, headWrites: 1 });
    await log.close();
    expect(verifyTrail(file)).toEqual({ ok: true, records: 3, files: [file] });
  });

  test('the file replaced while a group is written: that group counts, the next one (another file) fails alone, and the trail recovers', async () => {
    const file = await writeTrail(3);
    const log = await AuditLog.open(file);
    const first = log.append(entry(3)); // written to the file the log holds open
    rmSync(file);
    mkdirSync(file); // the path is now a folder: the next group cannot be written
    const second = log.append(entry(4));
    await expect(first).resolves.toMatchObject({ seq: 4 });
    await expect(second).rejects.toThrow(/EISDIR/);
    rmSync(file, { recursive: true });
    const r = await log.append(entry(5));
    expect(r.seq).toBe(5); // the failed record consumed no seq
    await log.close();
    expect(JSON.parse(readFileSync(headName(file), 'utf8'))).toMatchObject({ seq: 5 });
  });
});

describe('retention', () => {
  test('keeps maxFiles rotated files; verify starts at the anchor and still catches tampering', async () => {
    const file = await writeTrail(60, 1500, { maxFiles: 2 });
    expect(rotatedNumbers(file)).toEqual([1, 2]);
    const anchor = JSON.parse(readFileSync(anchorName(file), 'utf8')) as { seq: number; hash: string };
    const firstKept = JSON.parse(lines(`${file}.2`)[0]!) as { seq: number; prevHash: string };
    expect(anchor).toEqual({ seq: firstKept.seq - 1, hash: firstKept.prevHash });
    expect(firstKept.seq).toBeGreaterThan(1);
    const ok = verifyTrail(file);
    expect(ok).toMatchObject({ ok: true, files: [`${file}.2`, `${file}.1`, file] });
    expect(ok.records).toBe(60 - anchor.seq);

    const original = readFileSync(`${file}.2`, 'utf8');
    writeFileSync(`${file}.2`, original.replace('"u0"', '"mallory"').replace('"u1"', '"mallory"').replace('"u2"', '"mallory"'));
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: `${file}.2`, line: 1, reason: expect.stringMatching(/edited/) });
    writeFileSync(`${file}.2`, original);
    rmSync(anchorName(file)); // without the anchor, the kept trail does not start at seq 1
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: `${file}.2`, line: 1, reason: expect.stringMatching(/seq is \d+, expected 1/) });
    writeFileSync(anchorName(file), 'garbage');
    expect(verifyTrail(file)).toMatchObject({ ok: false, file: anchorName(file), reason: expect.stringMatching(/start anchor is not JSON/) });
  });

  test('maxFiles 0: only the live file stays, and a reopened trail chains on and verifies', async () => {
    const file = await writeTrail(30, 1500, { maxFiles: 0 });
    expect(rotatedNumbers(file)).toEqual([]);
    await writeTrail(1, 1500, { maxFiles: 0, file });
    expect((JSON.parse(lines(file).at(-1)!) as { seq: number }).seq).toBe(31);
    const anchor = JSON.parse(readFileSync(anchorName(file), 'utf8')) as { seq: number };
    expect(verifyTrail(file)).toMatchObject({ ok: true, records: 31 - anchor.seq });
  });

  test('maxAgeDays deletes rotated files last written before the cut-off', async () => {
    const file = await writeTrail(20, 1500);
    const numbers = rotatedNumbers(file);
    expect(numbers.length).toBeGreaterThan(2);
    const old = new Date(Date.now() - 10 * 86_400_000);
    for (const n of numbers.slice(1)) utimesSync(`${file}.${n}`, old, old); // all but the newest rotated file are 10 days old
    const log = await AuditLog.open(file, { maxBytes: 1500, maxAgeDays: 7 });
    await log.close();
    expect(rotatedNumbers(file)).toEqual([1]);
    expect(verifyTrail(file)).toMatchObject({ ok: true });
  });
});

describe('one writer per trail', () => {
  test('a second open of the same trail fails naming the holder; close releases it', async () => {
    const file = tmpFile();
    const log = await AuditLog.open(file);
    expect(readFileSync(lockName(file), 'utf8').trim()).toBe(String(process.pid));
    const second = AuditLog.open(file);
    await expect(second).rejects.toBeInstanceOf(AuditLockedError);
    await expect(AuditLog.open(file)).rejects.toThrow(`audit trail ${file} is in use by another hub (pid ${process.pid}, lock ${lockName(file)})`);
    await log.close();
    expect(existsSync(lockName(file))).toBe(false);
    const again = await AuditLog.open(file);
    await again.close();
  });

  test('a lock left by a dead process is taken over', async () => {
    const file = tmpFile();
    mkdirSync(path.dirname(file), { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lockName(file), `${gone.stdout}\n`);
    const log = await AuditLog.open(file);
    expect(readFileSync(lockName(file), 'utf8').trim()).toBe(String(process.pid));
    await log.close();
  });

  test('a live holder in another process: waited for, then named; its lock goes stale when it dies', async () => {
    const file = tmpFile();
    mkdirSync(path.dirname(file), { recursive: true });
    // Another process holds the lock until it is told to let go (a line on stdin) or dies.
    const holder = spawnProcess(process.execPath, ['-e', `
      const fs = require('node:fs');
      fs.writeFileSync(${JSON.stringify(lockName(file))}, process.pid + '\\n');
      console.log('holding');
      process.stdin.once('data', () => { fs.rmSync(${JSON.stringify(lockName(file))}); console.log('released'); setTimeout(() => {}, 60000); });
    `], { stdin: true });
    await holder.waitForLine(/holding/);
    await expect(AuditLog.open(file, { lockWaitMs: 300 })).rejects.toThrow(`(pid ${holder.pid}, lock ${lockName(file)})`);
    const waiting = AuditLog.open(file, { lockWaitMs: 20000 });
    holder.child.stdin!.write('go\n');
    await holder.waitForLine(/released/);
    const log = await waiting; // got the lock once the holder let go
    await log.close();
    writeFileSync(lockName(file), `${holder.pid}\n`); // the holder's pid in the lock again, then it dies
    await holder.kill();
    const after = await AuditLog.open(file, { lockWaitMs: 0 });
    await after.close();
  });

  test('a lock that holds no pid is not taken over', async () => {
    const file = tmpFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(lockName(file), 'not a pid');
    await expect(AuditLog.open(file)).rejects.toThrow(`audit trail ${file} is locked by ${lockName(file)}, which holds no pid: remove it if no hub is running`);
  });
});
