// policy:test and policy:check, run as CI runs them, on small temp sources.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle, runScript, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

let n = 0;
/** Writes { 'rel/path.rego': text } into a fresh folder. */
function sources(files: Record<string, string>): string {
  const dir = join(tmp.path, `src-${++n}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

// Regal-clean too (policy:check lints with the repository's .regal/config.yaml).
const policy = `package hatago

# METADATA
# entrypoint: true
default decision := {"allow": false}

decision := {"allow": true} if input.ok
`;
const passingTest = `package hatago_test

import data.hatago

test_allow if hatago.decision.allow with input as {"ok": true}

test_deny if not hatago.decision.allow with input as {}
`;

describe('policy:test', () => {
  it('passes when tests pass, every package is tested and coverage is enough', () => {
    const src = sources({ 'hatago/decision.rego': policy, 'hatago/decision_test.rego': passingTest });
    const r = runScript('test-policy.mjs', ['--src', src]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/100\.0%\s+total/);
  });

  it('fails when a test fails', () => {
    const src = sources({
      'hatago/decision.rego': policy,
      'hatago/decision_test.rego': `${passingTest}\ntest_wrong if hatago.decision.allow with input as {}\n`,
    });
    const r = runScript('test-policy.mjs', ['--src', src]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('1 of 3 tests failed');
  });

  it('fails when there are no tests, naming the untested package', () => {
    const r = runScript('test-policy.mjs', ['--src', sources({ 'hatago/decision.rego': policy })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no tests found');
    expect(r.stderr).toContain('package hatago (hatago/decision.rego) has no *_test.rego');
  });

  it('fails when a package has no test file even if others do', () => {
    const src = sources({
      'hatago/decision.rego': policy,
      'hatago/decision_test.rego': passingTest,
      'hatago/extra/extra.rego': 'package hatago.extra\n\nx := 1\n',
    });
    const r = runScript('test-policy.mjs', ['--src', src]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('package hatago.extra');
  });

  it('fails under the coverage threshold', () => {
    const uncovered = `${policy}\nunused_a := 1 if input.a\n\nunused_b := 2 if input.b\n\nunused_c := 3 if input.c\n`;
    const src = sources({ 'hatago/decision.rego': uncovered, 'hatago/decision_test.rego': passingTest });
    const r = runScript('test-policy.mjs', ['--src', src]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/total coverage \d+\.\d% is under 90%/);
  });
});

describe('policy:check', () => {
  it('passes on formatted, strict-clean sources with an up-to-date bundle', () => {
    const src = sources({ 'hatago/decision.rego': policy, 'hatago/decision_test.rego': passingTest });
    const out = buildBundle(src, join(tmp.path, 'ok.tar.gz'));
    const r = runScript('check-policy.mjs', ['--src', src, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on unformatted Rego and on a stale bundle', () => {
    const src = sources({ 'hatago/decision.rego': policy, 'hatago/decision_test.rego': passingTest });
    const out = buildBundle(src, join(tmp.path, 'stale.tar.gz'));
    writeFileSync(join(src, 'hatago', 'decision.rego'), `${policy}\nx:=1\n`);
    const r = runScript('check-policy.mjs', ['--src', src, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL  opa fmt');
    expect(r.stderr).toContain('is stale: run npm run policy:build');
  });

  it('fails strict checks under the wasm capabilities', () => {
    const src = sources({ 'hatago/decision.rego': 'package hatago\n\ndecision := {"allow": time.now_ns() > 0}\n' });
    const r = runScript('check-policy.mjs', ['--src', src, '--out', join(tmp.path, 'none.tar.gz')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('undefined function time.now_ns');
  });

  it('fails on a Regal violation, naming the rule and the place', () => {
    const prefixed = policy.replace('decision := {"allow": true} if input.ok', 'decision := {"allow": true} if input.ok\n\nget_answer := 42');
    const src = sources({ 'hatago/decision.rego': prefixed, 'hatago/decision_test.rego': passingTest });
    const r = runScript('check-policy.mjs', ['--src', src, '--out', buildBundle(src, join(tmp.path, 'linted.tar.gz'))]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL  regal lint');
    expect(r.stdout).toContain('ok    bundle is up to date');
    expect(r.stderr).toMatch(/Rule:\s+avoid-get-and-list-prefix/);
    expect(r.stderr).toContain('hatago/decision.rego:9:1');
  });

  it('fails when a package does not live where its name says', () => {
    const limits = 'package hatago.ratelimit\n\nlimits := []\n';
    const limitsTest = 'package hatago.ratelimit_test\n\nimport data.hatago.ratelimit\n\ntest_none if ratelimit.limits == []\n';
    const placed = sources({ 'hatago/decision.rego': policy, 'hatago/ratelimit/ratelimit.rego': limits, 'hatago/ratelimit/ratelimit_test.rego': limitsTest });
    expect(runScript('check-policy.mjs', ['--src', placed, '--out', buildBundle(placed, join(tmp.path, 'placed.tar.gz'))]).stdout).toContain('ok    package layout');
    const src = sources({ 'hatago/decision.rego': policy, 'ratelimit/ratelimit.rego': limits, 'hatago/ratelimit/ratelimit_test.rego': limitsTest });
    const r = runScript('check-policy.mjs', ['--src', src, '--out', buildBundle(src, join(tmp.path, 'misplaced.tar.gz'))]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL  package layout');
    expect(r.stderr).toContain('ratelimit/ratelimit.rego: package hatago.ratelimit belongs in hatago/ratelimit/');
  });
});
