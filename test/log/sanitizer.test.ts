import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log/winston-logger.js';
import { DEFAULT_MAX_STRING_LENGTH, REDACTED, VALUE_BUDGET_STRINGS, createSanitizer } from '../../src/log/sanitizer.js';
import { sanitizerFromConfig } from '../../src/log/from-config.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const SK = `sk-${'A1b2C3d4'.repeat(5)}`;
const B64 = 'QmFzZTY0VG9rZW5WYWx1ZVRoYXRJc0xvbmdFbm91Z2hUb01hc2s0NTY3ODk=';
const CARD = '4111-1111-1111-1111';

describe('createSanitizer: keys', () => {
  const s = createSanitizer();

  test('masks keys containing a masked field, case-insensitively, at any depth and in arrays', () => {
    const out = s.value({
      user: 'alice',
      Password: 'hunter2',
      nested: { apiKey: 'k1', deeper: [{ ACCESS_TOKEN: 't1', note: 'fine' }, { clientSecret: { any: 'shape' } }] },
      headers: { Authorization: 'x', Cookie: 'y', 'X-Auth-User': 'z' },
      list: [['a', { refresh_token: 'r' }]],
    });
    expect(out).toEqual({
      user: 'alice',
      Password: REDACTED,
      nested: { apiKey: REDACTED, deeper: [{ ACCESS_TOKEN: REDACTED, note: 'fine' }, { clientSecret: REDACTED }] },
      headers: { Authorization: REDACTED, Cookie: REDACTED, 'X-Auth-User': REDACTED },
      list: [['a', { refresh_token: REDACTED }]],
    });
  });

  test('maskedFields replaces the default list', () => {
    const only = createSanitizer({ maskedFields: ['pin'] });
    expect(only.value({ pin: '1234', password: 'pw' })).toEqual({ pin: REDACTED, password: 'pw' });
  });

  test('sanitize: false passes everything through', () => {
    const off = createSanitizer({ sanitize: false });
    expect(off.value({ password: 'pw' })).toEqual({ password: 'pw' });
    expect(off.text(JWT)).toBe(JWT);
  });

  test('does not modify its input and survives cycles and odd values', () => {
    const input: Record<string, unknown> = { a: 1n, b: undefined, d: new Date(0) };
    input.self = input;
    const out = s.value(input) as Record<string, unknown>;
    expect(out.a).toBe('1');
    expect(out.d).toBe('1970-01-01T00:00:00.000Z');
    expect(out.self).toBe('[UNSANITIZABLE]');
    expect(input.self).toBe(input);
  });

  test('an object met twice outside a cycle is kept both times; a cycle deep down is cut where it closes', () => {
    const shared = { role: 'user', token: 't' };
    const deep: Record<string, unknown> = { x: { y: {} } };
    ((deep.x as Record<string, unknown>).y as Record<string, unknown>).back = deep;
    expect(s.value({ a: shared, b: [shared, shared] })).toEqual({ a: { role: 'user', token: REDACTED }, b: [{ role: 'user', token: REDACTED }, { role: 'user', token: REDACTED }] });
    expect(s.value(deep)).toEqual({ x: { y: { back: '[UNSANITIZABLE]' } } });
  });

  test('a string found clean before is masked once it holds a secret added later; masked strings stay masked', () => {
    const t = createSanitizer();
    const text = 'value-of-a-late-secret';
    expect(t.value({ note: text })).toEqual({ note: text });
    expect(t.text(text)).toBe(text);
    t.addSecrets([text]);
    expect(t.value({ note: text })).toEqual({ note: REDACTED });
    expect(t.text(`x ${text}`)).toBe(`x ${REDACTED}`);
    for (let i = 0; i < 2; i++) expect(t.value({ header: `Bearer abc.def-${i}`, repeat: `Bearer abc.def-0` })).toEqual({ header: `Bearer ${REDACTED}`, repeat: `Bearer ${REDACTED}` });
  });

  test('a getter that throws drops that field only', () => {
    const bad = { ok: 'yes', get boom(): string { throw new Error('no'); } };
    expect(s.value({ bad })).toEqual({ bad: '[UNSANITIZABLE]' });
    expect(s.value([bad, 'x'])).toEqual(['[UNSANITIZABLE]', 'x']);
  });
});

describe('createSanitizer: text', () => {
  const s = createSanitizer();

  test('masks JWTs and Bearer credentials in free text', () => {
    expect(s.text(`got ${JWT} from client`)).toBe(`got ${REDACTED} from client`);
    expect(s.text('header was Bearer abc.def-123 ok')).toBe(`header was Bearer ${REDACTED} ok`);
    expect(s.text('basic Basic dXNlcjpwYXNz')).toBe(`basic Basic ${REDACTED}`);
  });

  test("the guide's three patterns are on by default", () => {
    expect(s.text(`key ${SK} here`)).not.toContain(SK.slice(3, 20));
    // The guide's pattern ends in `={0,2}\b`, so trailing padding stays: the token itself is gone.
    expect(s.text(`blob ${B64}`)).toBe(`blob ${REDACTED}=`);
    expect(s.text(`card ${CARD}.`)).toBe(`card ${REDACTED}.`);
  });

  test('the base64 pattern spares file paths and labelled digests, and still masks base64 with slashes', () => {
    const bundle = '/srv/hatago/deployments/production/policies/bundle/hatago.tar.gz';
    expect(s.text(`"source":"file:${bundle}"`)).toBe(`"source":"file:${bundle}"`);
    expect(s.value({ source: `file:${bundle}`, cwd: '/home/User1/Projects/MyServerApp/node_modules/pkg' })).toEqual({
      source: `file:${bundle}`,
      cwd: '/home/User1/Projects/MyServerApp/node_modules/pkg',
    });
    const revision = `sha256:${'7a42c9e1'.repeat(8)}`;
    expect(s.text(`policy activated ${revision}`)).toBe(`policy activated ${revision}`);
    // Random base64 that happens to hold slashes is not a path; nor is an unlabelled digest.
    expect(s.text('k3J/9xQvT2mZ8pL4wR7nY1cB6hD0sF5gA3eUo/Kq9Vt2Lm')).toBe(REDACTED);
    expect(s.text(`digest ${'7a42c9e1'.repeat(8)}`)).toBe(`digest ${REDACTED}`);
    expect(s.text(`blob ${B64}`)).toBe(`blob ${REDACTED}=`);
  });

  test('masks key=value and "key":"value" assignments in text', () => {
    expect(s.text('env API_KEY=abc123 DEBUG=1')).toBe(`env API_KEY=${REDACTED} DEBUG=1`);
    expect(s.text('{"password":"hunter2","user":"bob"}')).toBe(`{"password":"${REDACTED}","user":"bob"}`);
    expect(s.text('authentication failed: bad signature')).toBe('authentication failed: bad signature');
  });

  test('custom patterns replace the defaults; an invalid one is skipped', () => {
    const c = createSanitizer({ patterns: ['ACME-\\d{6}', '(unclosed'] });
    expect(c.text('id ACME-123456 and 4111-1111-1111-1111')).toBe(`id ${REDACTED} and 4111-1111-1111-1111`);
  });

  test('literal secrets are masked wherever they appear', () => {
    const c = createSanitizer({ secrets: ['plain-secret-value', 'abc'] });
    expect(c.text('x plain-secret-value y abc')).toBe(`x ${REDACTED} y abc`);
    expect(c.value({ note: 'has plain-secret-value inside' })).toEqual({ note: `has ${REDACTED} inside` });
  });

  test('errors keep name and message, with secrets masked in message and stack', () => {
    const err = new Error(`login failed for password=hunter2 with ${JWT}`);
    const out = s.value({ error: err }) as { error: { name: string; message: string; stack: string } };
    expect(out.error.name).toBe('Error');
    expect(out.error.message).toBe(`login failed for password=${REDACTED} with ${REDACTED}`);
    expect(out.error.stack).not.toContain('hunter2');
    expect(out.error.stack).not.toContain(JWT);
    expect(out.error.stack).toContain('sanitizer.test');
  });
});

describe('createLogger', () => {
  test('writes sanitized structured JSON lines with timestamp, level and component', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-log-'));
    const sanitizer = sanitizerFromConfig({
      security: { logging: { maskedFields: ['password', 'token'] } },
      mcpServers: { fx: { command: 'x', env: { UPSTREAM_SECRET: 'upstream-env-secret-42' } } },
    });
    const logger = createLogger({ cwd: dir, sanitizer, level: 'debug', console: false });
    logger.child({ component: 'test' }).info(`message with ${JWT}`, {
      password: 'pw',
      nested: { token: 't', fine: 'upstream-env-secret-42 leaked' },
      error: new Error(`boom ${SK}`),
    });
    await logger.close?.();
    const lines = readFileSync(path.join(dir, 'logs', 'hatago.log'), 'utf8').trim().split('\n');
    const rec = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'info', component: 'test', message: `message with ${REDACTED}`, password: REDACTED });
    expect(typeof rec.timestamp).toBe('string');
    expect(rec.nested).toEqual({ token: REDACTED, fine: `${REDACTED} leaked` });
    expect(JSON.stringify(rec)).not.toContain(SK);
    expect((rec.error as { message: string }).message).toMatch(/^boom (sk-)?\[REDACTED\]$/);
  });
});

describe('createSanitizer: sortKeys (the audit trail copies metadata with sorted keys)', () => {
  const s = createSanitizer({ secrets: ['literal-secret-value'] });
  const keysAtEveryDepth = (v: unknown): string[][] =>
    v === null || typeof v !== 'object' ? [] : Array.isArray(v) ? v.flatMap(keysAtEveryDepth) : [Object.keys(v), ...Object.values(v).flatMap(keysAtEveryDepth)];

  test('the same masked copy, each object with its keys in sorted order', () => {
    const v = { z: 'literal-secret-value here', method: 'tools/call', token: 't', input: { request: { name: 'echo', arguments: { text: SK, b: [{ y: 1, x: CARD }] } }, client: { ip: '10.0.0.1' } } };
    const own = s.value(v);
    const sorted = s.value(v, { sortKeys: true });
    expect(sorted).toEqual(own);
    expect(JSON.stringify(own)).not.toBe(JSON.stringify(sorted));
    for (const keys of keysAtEveryDepth(sorted)) expect(keys).toEqual([...keys].sort());
    expect(keysAtEveryDepth(own)[0]).toEqual(['z', 'method', 'token', 'input']); // without it, the object's own order
  });

  test('when the per-value budget runs out, it goes to the same strings as in the object\'s own order', () => {
    // Keys in reverse order: met sorted, the budget would go to other strings than met in the own order.
    const long = (i: number) => `part ${i} ${'q'.repeat(DEFAULT_MAX_STRING_LENGTH)}`;
    const v = Object.fromEntries(Array.from({ length: VALUE_BUDGET_STRINGS + 3 }, (_, i) => [`k${String(99 - i)}`, long(i)]));
    const own = s.value(v) as Record<string, string>;
    const sorted = s.value(v, { sortKeys: true }) as Record<string, string>;
    expect(sorted).toEqual(own);
    expect(Object.keys(sorted)).toEqual(Object.keys(own).sort());
    expect(Object.values(own).filter((x) => x.startsWith('part')).length).toBe(VALUE_BUDGET_STRINGS);
  });
});
