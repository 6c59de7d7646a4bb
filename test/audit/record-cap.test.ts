// security.audit.maxRecordBytes through the real audit sink (masking, cap,
// chain) writing a real file.
import { afterAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuditSink } from '../../src/audit/audit-sink.js';
import { verifyTrail } from '../../src/audit/verify.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function written(maxRecordBytes: number | undefined, metadata: Record<string, unknown>): Promise<{ line: string; metadata: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const cwd = mkdtempSync(path.join(tmpdir(), 'hatago-audit-cap-'));
  dirs.push(cwd);
  // The sanitizer's own cut of long strings is raised, so what these tests see is the record cap alone.
  const sink = await createAuditSink({ mcpServers: {}, security: { audit: { ...(maxRecordBytes !== undefined && { maxRecordBytes }) }, logging: { maxStringLength: 1_048_576 } } }, undefined, { cwd });
  await sink({ event: 'permission_denied', user: 'carol', metadata });
  await sink.close();
  const file = path.join(cwd, 'logs', 'audit.log');
  expect(verifyTrail(file)).toMatchObject({ ok: true, records: 1 });
  const line = readFileSync(file, 'utf8').trim();
  return { line, metadata: (JSON.parse(line) as { metadata: Record<string, unknown> }).metadata };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const words = (n: number) => 'lorem ipsum '.repeat(Math.ceil(n / 12)).slice(0, n);

test('a record under the cap is written as it is', async () => {
  const metadata = { method: 'tools/call', input: { request: { name: 'echo', arguments: { text: words(3000) } } } };
  const r = await written(undefined, metadata);
  expect(r.metadata).toEqual(metadata);
});

test('a record under the cap holds its metadata with keys sorted at every depth (the canonical text its hash covers, written once)', async () => {
  const metadata = { method: 'tools/call', server: 'up', input: { request: { name: 'echo', arguments: { z: 1, a: [{ y: 2, b: 3 }] } } } };
  const r = await written(undefined, metadata);
  expect(r.metadata).toEqual(metadata);
  expect(r.line).toContain('"metadata":{"input":{"request":{"arguments":{"a":[{"b":3,"y":2}],"z":1},"name":"echo"}},"method":"tools/call","server":"up"}');
  expect(r.line.startsWith('{"seq":1,"timestamp":')).toBe(true);
});

test('the configured cap applies; large leaves become markers, small ones and the structure stay', async () => {
  const text = words(3000);
  const r = await written(2048, { method: 'tools/call', input: { request: { method: 'tools/call', name: 'echo', arguments: { text, flag: true } }, principal: { sub: 'carol' } } });
  expect(Buffer.byteLength(r.line)).toBeLessThanOrEqual(2048);
  expect(r.metadata).toEqual({
    method: 'tools/call',
    input: { request: { method: 'tools/call', name: 'echo', arguments: { text: { truncated: true, bytes: 3000, sha256: sha(text) }, flag: true } }, principal: { sub: 'carol' } },
  });
});

test('an object of many small values is replaced as a whole (hash of its JSON)', async () => {
  const args = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
  const r = await written(undefined, { method: 'tools/call', input: { request: { name: 'echo', arguments: args } } });
  expect(Buffer.byteLength(r.line)).toBeLessThanOrEqual(16 * 1024);
  const json = JSON.stringify(args);
  expect(r.metadata.input.request).toEqual({ name: 'echo', arguments: { truncated: true, bytes: Buffer.byteLength(json), sha256: sha(json) } });
});

test('multi-byte text is measured in UTF-8 bytes', async () => {
  const text = '日本語'.repeat(2000); // 6000 characters, 18000 bytes
  const r = await written(undefined, { text });
  expect(r.metadata.text).toEqual({ truncated: true, bytes: 18000, sha256: sha(text) });
});
