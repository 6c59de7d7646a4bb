// `hatago policy ...` as real processes, with bundles built by the real OPA
// CLI from test/fixtures/policies/workflow (active, candidate, failing).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readBundle } from '../../src/policy/index.js';
import { packagePath } from '../../src/util/package-root.js';
import { runHatago } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const FIXTURES = packagePath('test', 'fixtures', 'policies', 'workflow');
const ACTIVE_DIR = path.join(FIXTURES, 'active');
const CANDIDATE_DIR = path.join(FIXTURES, 'candidate');
const NO_OPA = { HATAGO_OPA: '/nonexistent/opa' };

const tmp = mkdtempSync(path.join(tmpdir(), 'hatago-policy-cli-'));
const active = path.join(tmp, 'active.tar.gz');
const candidate = path.join(tmp, 'candidate.tar.gz');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function request(name: string, ip = '127.0.0.1'): Record<string, unknown> {
  return {
    contract: 2,
    stage: 'request',
    now_ns: 0,
    transport: 'http',
    client: { ip, origin: null, user_agent: null },
    principal: null,
    request: { method: 'tools/call', server: 'fx', name, exposed: `fx_${name}`, arguments: {}, protocol_version: '2025-11-25', session_id: null },
  };
}

const lines = (out: string) => out.trim().split('\n');

beforeAll(async () => {
  for (const [dir, out] of [[ACTIVE_DIR, active], [CANDIDATE_DIR, candidate]] as const) {
    const r = await runHatago(['policy', 'build', '--dir', dir, '--out', out]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.output).toContain('wrote');
  }
});

describe('hatago policy test', () => {
  it('passes on tested, covered policies', async () => {
    const r = await runHatago(['policy', 'test', '--dir', ACTIVE_DIR]);
    expect(r.code).toBe(0);
    expect(r.output).toContain('policy:test: 6 tests passed');
  });

  it('exits 1 when a test fails', async () => {
    const r = await runHatago(['policy', 'test', '--dir', path.join(FIXTURES, 'failing')]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('1 of 1 tests failed');
  });

  it('exits 1 with one line when OPA is missing', async () => {
    const r = await runHatago(['policy', 'test', '--dir', ACTIVE_DIR], { env: NO_OPA });
    expect(r.code).toBe(1);
    expect(lines(r.output)).toHaveLength(1);
    expect(r.output).toContain('[ERR_OPA_NOT_FOUND]');
    expect(r.output).toContain('run npm run opa:install or set HATAGO_OPA');
  });

  it('exits 1 when the folder does not exist', async () => {
    const r = await runHatago(['policy', 'test', '--dir', path.join(tmp, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('[ERR_POLICY_INPUT_INVALID]');
  });
});

describe('hatago policy build', () => {
  it('builds a bundle with the decision entrypoint and a content revision', () => {
    const b = readBundle(readFileSync(active));
    expect(b.manifest.revision).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(b.manifest.wasm?.map((w) => w.entrypoint)).toEqual(['hatago/decision']);
    expect(b.data).toMatchObject({ workflow: { blocked: ['write_file'] } });
  });

  it('signs with --signing-key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = file('signing.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const out = path.join(tmp, 'signed.tar.gz');
    const r = await runHatago(['policy', 'build', '--dir', ACTIVE_DIR, '--out', out, '--signing-key', key]);
    expect(r.code).toBe(0);
    expect(readBundle(readFileSync(out)).signatures).toBeDefined();
  });

  it('exits 1 with one line when OPA is missing', async () => {
    const out = path.join(tmp, 'never.tar.gz');
    const r = await runHatago(['policy', 'build', '--dir', ACTIVE_DIR, '--out', out], { env: NO_OPA });
    expect(r.code).toBe(1);
    expect(lines(r.output)).toHaveLength(1);
    expect(r.output).toContain('[ERR_OPA_NOT_FOUND]');
    expect(existsSync(out)).toBe(false);
  });
});

describe('hatago policy check', () => {
  it('passes when formatted, strict-clean and the bundle is fresh', async () => {
    const r = await runHatago(['policy', 'check', '--dir', ACTIVE_DIR, '--bundle', active]);
    expect(r.code).toBe(0);
    expect(r.output).toContain('ok    opa fmt');
    expect(r.output).toContain('ok    bundle is up to date');
  });

  it('exits 1 when the bundle is stale', async () => {
    const r = await runHatago(['policy', 'check', '--dir', ACTIVE_DIR, '--bundle', candidate]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('FAIL  bundle is up to date');
    expect(r.output).toContain('is stale');
  });

  it('exits 1 with one line when OPA is missing', async () => {
    const r = await runHatago(['policy', 'check', '--dir', ACTIVE_DIR, '--bundle', active], { env: NO_OPA });
    expect(r.code).toBe(1);
    expect(lines(r.output)).toHaveLength(1);
    expect(r.output).toContain('[ERR_OPA_NOT_FOUND]');
  });
});

describe('hatago policy eval', () => {
  it('prints an allow as JSON and exits 0', async () => {
    const r = await runHatago(['policy', 'eval', '--bundle', active, '--input', file('allow.json', request('echo'))]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.output)).toMatchObject({ allow: true, reasons: [], bundle: active });
  });

  it('prints a deny with its reasons and exits 2', async () => {
    const r = await runHatago(['policy', 'eval', '--bundle', active, '--input', file('deny.json', request('write_file'))]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.output) as { allow: boolean; code: string; reasons: { rule: string }[]; revision: string };
    expect(out).toMatchObject({ allow: false, code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'workflow.blocked_tool', message: 'tool write_file is blocked' }] });
    expect(out.revision).toBe(readBundle(readFileSync(active)).manifest.revision);
  });

  it('reads data.config from --config as the hub builds it', async () => {
    const config = file('blocked-ip.config.json', { mcpServers: {}, security: { network: { blockedIPs: ['10.0.0.9'] } } });
    const input = file('ip.json', request('echo', '10.0.0.9'));
    const without = await runHatago(['policy', 'eval', '--bundle', active, '--input', input]);
    expect(without.code).toBe(0);
    const withConfig = await runHatago(['policy', 'eval', '--bundle', active, '--input', input, '--config', config, '--format', 'text']);
    expect(withConfig.code).toBe(2);
    expect(withConfig.output).toContain('DENY ERR_PERMISSION_DENIED');
    expect(withConfig.output).toContain('- workflow.blocked_ip: client 10.0.0.9 is blocked');
  });

  it('takes a decision-log line as input', async () => {
    const r = await runHatago(['policy', 'eval', '--bundle', candidate, '--input', file('record.json', { decisionId: 'd1', input: request('echo') })]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.output)).toMatchObject({ reasons: [{ rule: 'workflow.blocked_tool' }] });
  });

  it('exits 1 on an input file that is not JSON, or missing', async () => {
    const bad = await runHatago(['policy', 'eval', '--bundle', active, '--input', file('bad.json', '{ nope')]);
    expect(bad.code).toBe(1);
    expect(lines(bad.output)).toHaveLength(1);
    expect(bad.output).toContain('[ERR_POLICY_INPUT_INVALID]');
    const missing = await runHatago(['policy', 'eval', '--bundle', active, '--input', path.join(tmp, 'missing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('[ERR_POLICY_INPUT_INVALID]');
  });

  it('exits 1 on a missing bundle', async () => {
    const r = await runHatago(['policy', 'eval', '--bundle', path.join(tmp, 'missing.tar.gz'), '--input', file('allow2.json', request('echo'))]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('[ERR_BUNDLE_NOT_FOUND]');
  });
});

describe('hatago policy explain', () => {
  it('names the rule that denied and where it is', async () => {
    const r = await runHatago(['policy', 'explain', '--dir', ACTIVE_DIR, '--input', file('deny-x.json', request('write_file'))]);
    expect(r.code).toBe(2);
    expect(r.output).toContain('DENY ERR_PERMISSION_DENIED');
    expect(r.output).toContain('workflow.blocked_tool: tool write_file is blocked');
    expect(r.output).toMatch(/hatago\/decision\.rego:10 {2}deny contains \{"rule": "workflow\.blocked_tool"/);
  });

  it('reports every rule that fired, as JSON', async () => {
    const config = file('blocked-ip2.config.json', { mcpServers: {}, security: { network: { blockedIPs: ['10.0.0.9'] } } });
    const r = await runHatago(['policy', 'explain', '--dir', ACTIVE_DIR, '--config', config, '--format', 'json', '--input', file('two.json', request('write_file', '10.0.0.9'))]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.output) as { reasons: { rule: string }[]; fired: { rule: string; row: number }[] };
    expect(out.reasons.map((x) => x.rule).sort()).toEqual(['workflow.blocked_ip', 'workflow.blocked_tool']);
    expect(out.fired.map((f) => f.rule).sort()).toEqual(['workflow.blocked_ip', 'workflow.blocked_tool']);
  });

  it('exits 0 on an allow, and adds the OPA trace with --trace', async () => {
    const r = await runHatago(['policy', 'explain', '--dir', ACTIVE_DIR, '--trace', 'fails', '--input', file('allow-x.json', request('echo'))]);
    expect(r.code).toBe(0);
    expect(r.output).toContain('ALLOW');
    expect(r.output).toContain('opa eval --explain=fails:');
  });

  it('exits 1 with one line when OPA cannot evaluate the sources (ERR_POLICY_TOOL_FAILED)', async () => {
    const broken = mkdtempSync(path.join(tmp, 'broken-'));
    writeFileSync(path.join(broken, 'broken.rego'), 'package hatago\n\ndecision := {\n');
    const r = await runHatago(['policy', 'explain', '--dir', broken, '--input', file('deny-z.json', request('write_file'))]);
    expect(r.code).toBe(1);
    expect(lines(r.output)).toHaveLength(1);
    expect(r.output).toMatch(/^hatago: opa eval failed: .+ \[ERR_POLICY_TOOL_FAILED\]$/m);
  });

  it('exits 1 with one line when OPA is missing', async () => {
    const r = await runHatago(['policy', 'explain', '--dir', ACTIVE_DIR, '--input', file('deny-y.json', request('write_file'))], { env: NO_OPA });
    expect(r.code).toBe(1);
    expect(lines(r.output)).toHaveLength(1);
    expect(r.output).toContain('[ERR_OPA_NOT_FOUND]');
  });
});

describe('hatago policy diff (error paths; replay of a real hub run: policy-shadow.test.ts)', () => {
  it('exits 1 when the replay file is missing or holds no inputs', async () => {
    const missing = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', path.join(tmp, 'none.log')]);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('[ERR_POLICY_INPUT_INVALID]');
    const empty = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', file('empty.log', '{"event":"logout"}\n')]);
    expect(empty.code).toBe(1);
    expect(empty.output).toContain('holds no decision inputs');
  });

  it('exits 1 when a replay line is not JSON', async () => {
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', file('broken.log', `${JSON.stringify({ input: request('echo') })}\nnot json\n`)]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('line 2 is not JSON');
  });

  it('exits 1 when the candidate bundle is missing', async () => {
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', path.join(tmp, 'nope.tar.gz'), '--replay', file('one.log', JSON.stringify({ input: request('echo') }))]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('[ERR_BUNDLE_NOT_FOUND]');
  });

  it('replays raw policy inputs too, as eval reads them', async () => {
    const raw = [request('echo'), { decisionId: 'd2', input: request('add') }].map((x) => JSON.stringify(x)).join('\n');
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', file('raw.log', raw), '--format', 'json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.output) as { summary: Record<string, unknown>; changes: { decisionId: string }[] };
    expect(out.summary).toMatchObject({ replayed: 2, changed: 1, skippedLines: 0 });
    expect(out.changes.map((c) => c.decisionId)).toEqual(['line-1']);
  });

  it('replays audit records that carry metadata.input', async () => {
    const audit = [
      { event: 'permission_granted', decisionId: 'a1', metadata: { input: request('echo') } },
      { event: 'logout' },
      { event: 'permission_granted', decisionId: 'a2', metadata: { input: request('add') } },
    ].map((x) => JSON.stringify(x)).join('\n');
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', file('audit.log', audit), '--format', 'json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.output) as { summary: Record<string, unknown>; changes: { decisionId: string }[] };
    expect(out.summary).toMatchObject({ replayed: 2, changed: 1, unchanged: 1, skippedLines: 1, allowToDeny: 1, denyToAllow: 0 });
    expect(out.changes.map((c) => c.decisionId)).toEqual(['a1']);
  });
});
