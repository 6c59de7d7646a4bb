import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { trailFiles } from '../../src/audit/files.js';
import { verifyTrail } from '../../src/audit/verify.js';

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

function tmpFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'hatago-audit-')), 'logs', 'audit.log');
}

async function writeTrail(n: number, maxBytes?: number): Promise<string> {
  const file = tmpFile();
  const log = await AuditLog.open(file, maxBytes !== undefined ? { maxBytes } : {});
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
});
