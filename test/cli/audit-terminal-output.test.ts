// Every human-readable output of the CLI escapes what a terminal would run
// (src/cli/terminal.ts): the helper itself, and `hatago policy eval|diff`
// text and error lines as real processes over inputs carrying escape
// sequences (the audit command's own outputs: test/audit/audit-cli.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { escapeControls, escapeText, terminalJson } from '../../src/cli/terminal.js';
import { packagePath } from '../../src/util/package-root.js';
import { runHatago } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe('the terminal helper', () => {
  it('escapes C0, DEL, C1 and bidi controls, and leaves other text alone', () => {
    expect(escapeControls('a\x1b[31mb\x00\x7f\x85\x9b\u202e\u2066\u2069\n\tc')).toBe('a\\x1b[31mb\\x00\\x7f\\x85\\x9b\\u202e\\u2066\\u2069\\x0a\\x09c');
    expect(escapeControls('日本語 café ✓')).toBe('日本語 café ✓');
  });

  it('keeps the line breaks and tabs of a whole output, not a lone CR', () => {
    expect(escapeText('a\tb\r\nc\rd\n\x1b')).toBe('a\tb\r\nc\\x0dd\n\\x1b');
  });

  it('JSON: same data, nothing raw a terminal obeys', () => {
    const v = { s: 'x\x1b\x9b\u202e\u2028y' };
    const text = terminalJson(v, 2);
    expect(text).not.toMatch(RAW);
    expect(JSON.parse(text)).toEqual(v);
  });
});

const FIXTURES = packagePath('test', 'fixtures', 'policies', 'workflow');
let tmp: string;
let active: string;
let candidate: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'hatago-cli-escape-'));
  active = path.join(tmp, 'active.tar.gz');
  candidate = path.join(tmp, 'candidate.tar.gz');
  for (const [dir, out] of [[path.join(FIXTURES, 'active'), active], [path.join(FIXTURES, 'candidate'), candidate]] as const) {
    const r = await runHatago(['policy', 'build', '--dir', dir, '--out', out]);
    expect(r.code).toBe(0);
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function input(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    contract: 2, stage: 'request', now_ns: 0, transport: 'http',
    client: { ip: '127.0.0.1', origin: null, user_agent: null }, principal: null,
    request: { method: 'tools/call', server: 'fx', name, exposed: `fx_${name}`, arguments: {}, protocol_version: '2025-11-25', session_id: null, ...extra },
  };
}

const write = (name: string, v: unknown): string => {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
};

describe('hatago policy text output', () => {
  it('eval --format text escapes what the input put into the decision', async () => {
    const list = { ...input('x'), request: { ...(input('x').request as object), method: 'tools/list' }, candidates: [{ name: 'echo', exposed: 'fx_echo\x1b]0;pwned\x07' }] };
    const r = await runHatago(['policy', 'eval', '--bundle', active, '--input', write('list.json', list), '--format', 'text']);
    expect(r.code).toBe(0);
    expect(r.output).not.toMatch(RAW);
    expect(r.output).toContain('visible: fx_echo\\x1b]0;pwned\\x07');
  });

  it('diff --format text escapes the replayed request', async () => {
    const replay = [{ event: 'permission_granted', decisionId: 'd\x1b[2J1', metadata: { input: input('echo', { server: 'fx\u202eevil' }) } }].map((x) => JSON.stringify(x)).join('\n');
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', write('replay.log', replay), '--format', 'text']);
    expect(r.code).toBe(2);
    expect(r.output).not.toMatch(RAW);
    expect(r.output).toContain('d\\x1b[2J1  tools/call fx\\u202eevil echo');
  });

  it('an error line quoting a file name is one escaped line', async () => {
    const r = await runHatago(['policy', 'eval', '--bundle', active, '--input', path.join(tmp, 'no\x1b[31mfile\n.json')]);
    expect(r.code).toBe(1);
    expect(r.output).not.toMatch(RAW);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    expect(r.output).toContain(`no\\x1b[31mfile\\x0a.json: ENOENT [ERR_POLICY_INPUT_INVALID]`);
  });
});
