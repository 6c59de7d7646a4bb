// What a policy author sees when a policy is broken, with the real pinned OPA
// on small broken policies: one clear message each, never a stack trace,
// a JSON fragment or a misleading "no tests found".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { runHatago } from '../helpers/hub-process.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const root = mkdtempSync(path.join(tmpdir(), 'hatago-policy-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder of Rego files under the temp root; returns its name (commands run in the root). */
function policies(name: string, files: Record<string, string>): string {
  mkdirSync(path.join(root, name));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(root, name, file), text);
  return name;
}

const input = path.join(root, 'input.json');
writeFileSync(input, JSON.stringify({ contract: 2, stage: 'request', now_ns: 0, request: { method: 'tools/list' } }));

const hatago = (args: string[], env: Record<string, string> = {}) => runHatago(args, { cwd: root, env });

async function script(name: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawnProcess(process.execPath, [packagePath('scripts', name), ...args], { cwd: root, env });
  const code = await proc.waitForExit(60000);
  return { code, output: proc.output() };
}

const SYNTAX = policies('syntax', {
  'broken.rego': 'package hatago\n\ndecision := {\n',
  'broken_test.rego': 'package hatago\n\ntest_x if true\n',
});
const SYNTAX_LINE = 'syntax/broken.rego:4: unexpected eof token: expected rule value term (e.g., decision := <VALUE> { ... })';

const CLOCK = policies('clock', {
  'p.rego': 'package hatago\n\ndecision := {"allow": true, "reasons": [], "t": time.now_ns()}\n',
  'p_test.rego': 'package hatago\n\ntest_allows if decision.allow\n',
});
const HINT = 'undefined function time.now_ns (hint: the bundle runs in WebAssembly, which has no clock: use input.now_ns, set by the hub on every decision)';

const FAILING = policies('failing', {
  'p.rego': 'package hatago\n\nlimit := 3\n',
  'p_test.rego': 'package hatago\n\ntest_limit if {\n\tx := limit + 1\n\tx == 5\n}\n',
});

describe('a Rego syntax error', () => {
  it('policy explain: file:line: message, in one line', async () => {
    const r = await hatago(['policy', 'explain', '--dir', SYNTAX, '--input', input]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`hatago: opa eval failed: ${SYNTAX_LINE} [ERR_POLICY_TOOL_FAILED]\n`);
  });

  it('policy test: file:line: message, and not "no tests found"', async () => {
    const r = await hatago(['policy', 'test', '--dir', SYNTAX]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`policy:test: the sources do not compile:\n  ${SYNTAX_LINE}\n`);
  });

  it('policy build: file:line: message', async () => {
    const r = await hatago(['policy', 'build', '--dir', SYNTAX, '--out', path.join(root, 'syntax.tar.gz')]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`policy:build: opa build failed:\n  ${SYNTAX_LINE}\n`);
  });
});

describe('time.now_ns (not in the wasm runtime)', () => {
  it('policy test refuses it as the build does, with the hint to use input.now_ns', async () => {
    const r = await hatago(['policy', 'test', '--dir', CLOCK]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`policy:test: opa build would refuse these policies:\n  clock/p.rego:3: ${HINT}\n`);
  });

  it('policy build says the same', async () => {
    const r = await hatago(['policy', 'build', '--dir', CLOCK, '--out', path.join(root, 'clock.tar.gz')]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`policy:build: opa build failed:\n  clock/p.rego:3: ${HINT}\n`);
  });

  it('policy explain evaluates with the build capabilities too', async () => {
    const r = await hatago(['policy', 'explain', '--dir', CLOCK, '--input', input]);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`hatago: opa eval failed: clock/p.rego:3: ${HINT} [ERR_POLICY_TOOL_FAILED]\n`);
  });
});

describe('a failing opa test', () => {
  it('shows the values of the failing expression (opa test --var-values)', async () => {
    const r = await hatago(['policy', 'test', '--dir', FAILING]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('FAIL  data.hatago.test_limit  (failing/p_test.rego:3)');
    expect(r.output).toMatch(/failing tests, with the values OPA saw:\ndata\.hatago\.test_limit: FAIL \([^)]+\)\n\n {2}failing\/p_test\.rego:5:\n\s+x == 5\n\s+\|\n\s+4\n/);
    expect(r.output).toContain('policy:test: 1 of 1 tests failed');
  });
});

describe('no OPA: one line, no stack trace', () => {
  const NO_OPA = { HATAGO_OPA: path.join(root, 'no-opa') };
  const line = (name: string) => `${name}: HATAGO_OPA=${NO_OPA.HATAGO_OPA} does not exist: run npm run opa:install or set HATAGO_OPA\n`;

  it.each([
    ['test-policy.mjs', 'policy:test', ['--src', FAILING]],
    ['build-policy.mjs', 'policy:build', ['--src', FAILING, '--out', path.join(root, 'never.tar.gz')]],
    ['check-policy.mjs', 'policy:check', ['--src', FAILING, '--out', path.join(root, 'never.tar.gz')]],
  ])('npm script %s', async (name, prefix, args) => {
    const r = await script(name, args, NO_OPA);
    expect(r.code).toBe(1);
    expect(r.output).toBe(line(prefix));
  });

  it('hatago policy test', async () => {
    const r = await hatago(['policy', 'test', '--dir', FAILING], NO_OPA);
    expect(r.code).toBe(1);
    expect(r.output).toBe(`hatago: OPA not found (HATAGO_OPA=${NO_OPA.HATAGO_OPA} does not exist): run npm run opa:install or set HATAGO_OPA [ERR_OPA_NOT_FOUND]\n`);
  });
});
