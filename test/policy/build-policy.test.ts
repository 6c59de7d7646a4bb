import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { opaPath } from '../../scripts/lib/opa.mjs';
import { PolicyEngine, readBundle } from '../../src/policy/index.js';
import { buildBundle, buildFixture, copyFixture, fixtures, repoRoot, runScript, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function writePolicy(dir: string, rego: string): string {
  mkdirSync(join(dir, 'hatago'), { recursive: true });
  writeFileSync(join(dir, 'hatago', 'decision.rego'), rego);
  return dir;
}

describe('build capabilities: only built-ins opa-wasm implements', () => {
  it.each([
    ['time.now_ns', 'decision := {"allow": time.now_ns() > 0}'],
    ['http.send', 'decision := {"allow": http.send({"method": "GET", "url": "http://127.0.0.1"}).status_code == 200}'],
    ['crypto.sha256', 'decision := {"allow": crypto.sha256("x") != ""}'],
  ])('fails the build on %s', (builtin, rule) => {
    const src = writePolicy(join(tmp.path, `unsupported-${builtin}`), `package hatago\n\n${rule}\n`);
    const r = runScript('build-policy.mjs', ['--src', src, '--out', join(tmp.path, 'never.tar.gz')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`undefined function ${builtin}`);
  });

  it('fails the fixture that calls time.now_ns', () => {
    const r = runScript('build-policy.mjs', ['--src', join(fixtures, 'unsupported-builtin'), '--out', join(tmp.path, 'never.tar.gz')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('undefined function time.now_ns');
    expect(r.stderr).toContain('use input.now_ns');
  });

  it('keeps OPA 1.x language features and only SDK built-ins', () => {
    buildFixture('basic', tmp.path);
    const caps = JSON.parse(readFileSync(join(repoRoot, '.tmp', 'policy-build', 'capabilities.json'), 'utf8')) as {
      builtins: { name: string }[];
      features: string[];
    };
    const sdk = JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@open-policy-agent', 'opa-wasm', 'capabilities.json'), 'utf8')) as {
      builtins: { name: string }[];
    };
    const sdkNames = new Set(sdk.builtins.map((b) => b.name));
    expect(caps.features).toContain('rego_v1');
    expect(caps.builtins.length).toBeGreaterThan(50);
    expect(caps.builtins.filter((b) => !sdkNames.has(b.name))).toEqual([]);
  });
});

describe('what OPA 1.x emits, opa-wasm 1.10 evaluates', () => {
  const inputs = [
    {
      principal: { sub: 'alice', roles: ['user'] },
      client: { ip: '10.1.2.3' },
      request: { method: 'tools/call', exposed: 'fs_read', arguments: { path: '/tmp/a', depth: 2 } },
      candidates: ['fs_read', 'web_fetch', 'fs_write'],
    },
    {
      principal: { sub: 'bob', roles: ['readonly'] },
      client: { ip: '203.0.113.9' },
      request: { method: 'tools/call', exposed: 'web_fetch', arguments: { url: 'x'.repeat(80) } },
      candidates: [],
    },
    {
      principal: { sub: 'carol', roles: ['user', 'readonly'] },
      client: { ip: '10.0.0.1' },
      request: { method: 'tools/list', exposed: 'fs_x', arguments: {} },
      candidates: ['fs_a'],
    },
  ];

  // Rego sets become JSON arrays; topdown sorts them, wasm keeps its own
  // order. Sets carry no order, so compare them sorted.
  const SET_FIELDS = ['perms', 'reasons'];
  const sortSets = (decision: unknown): unknown => {
    const d = { ...(decision as Record<string, unknown>) };
    for (const f of SET_FIELDS) {
      d[f] = (d[f] as unknown[]).map((v) => JSON.stringify(v)).sort();
    }
    return d;
  };

  it('gives the same decisions as OPA itself (topdown) on a Rego v1 policy', async () => {
    const src = join(fixtures, 'features');
    const engine = await PolicyEngine.load(buildFixture('features', tmp.path));
    for (const input of inputs) {
      const r = spawnSync(opaPath(), ['eval', '--format=json', '-d', src, '--stdin-input', 'data.hatago.decision'], {
        input: JSON.stringify(input),
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const expected: unknown = JSON.parse(r.stdout).result[0].expressions[0].value;
      expect(sortSets(engine.decide(input).raw)).toEqual(sortSets(expected));
    }
  });

  it('runs the emitted ABI through the SDK fast path', async () => {
    const bundle = readBundle(readFileSync(buildFixture('basic', tmp.path)));
    const policy = await loadPolicy(bundle.wasm);
    expect(Number(policy.minorVersion)).toBeGreaterThanOrEqual(2);
    expect(bundle.manifest.rego_version).toBe(1);
  });
});

describe('build determinism and staleness', () => {
  it('builds the same sources to the same bytes and revision', () => {
    const a = buildBundle(join(fixtures, 'basic'), join(tmp.path, 'det-a.tar.gz'));
    const copy = copyFixture('basic', join(tmp.path, 'elsewhere'));
    const b = buildBundle(copy, join(tmp.path, 'det-b.tar.gz'));
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readBundle(readFileSync(a)).manifest.revision).toBe(readBundle(readFileSync(b)).manifest.revision);
  });

  it('changes the revision with a source, not with a test file', () => {
    const src = copyFixture('basic', join(tmp.path, 'rev'));
    const revisionOf = (name: string): string => readBundle(readFileSync(buildBundle(src, join(tmp.path, name)))).manifest.revision;
    const first = revisionOf('rev-1.tar.gz');
    writeFileSync(join(src, 'hatago', 'decision_test.rego'), 'package hatago_test\n\ntest_nothing if true\n');
    expect(revisionOf('rev-2.tar.gz')).toBe(first);
    appendFileSync(join(src, 'hatago', 'decision.rego'), '\nunused := 1\n');
    expect(revisionOf('rev-3.tar.gz')).not.toBe(first);
  });

  it('--check passes on a fresh bundle and names the stale one', () => {
    const src = copyFixture('basic', join(tmp.path, 'check'));
    const out = buildBundle(src, join(tmp.path, 'check.tar.gz'));
    expect(runScript('build-policy.mjs', ['--check', '--src', src, '--out', out]).status).toBe(0);

    appendFileSync(join(src, 'hatago', 'decision.rego'), '\nunused := 1\n');
    const stale = runScript('build-policy.mjs', ['--check', '--src', src, '--out', out]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('is stale: run npm run policy:build');
    expect(stale.stderr).toContain('.manifest');

    const missing = runScript('build-policy.mjs', ['--check', '--src', src, '--out', join(tmp.path, 'absent.tar.gz')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('is stale');
  });
});

describe('signing', () => {
  it('--signing-key reaches opa build: the bundle carries .signatures.json and still loads', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = join(tmp.path, 'signing.pem');
    writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const out = buildFixture('basic', join(tmp.path, 'signed'), ['--signing-key', key]);
    const bundle = readBundle(readFileSync(out));
    expect(bundle.signatures).toMatchObject({ signatures: [expect.any(String)] });
    expect((await PolicyEngine.load(out)).revision).toBe(bundle.manifest.revision);
    const unsigned = readBundle(readFileSync(buildFixture('basic', join(tmp.path, 'unsigned'))));
    expect(Buffer.from(bundle.wasm).equals(Buffer.from(unsigned.wasm))).toBe(true);
    expect(bundle.manifest).toEqual(unsigned.manifest);
  });
});
