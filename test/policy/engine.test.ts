import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, truncateSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HatagoError } from '../../src/errors/index.js';
import { PolicyEngine, type PolicyLogger } from '../../src/policy/index.js';
import { buildFixture, tempDir } from './helpers.js';

function captureLogger(): PolicyLogger & { lines: { level: string; message: string; meta?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HatagoError);
    return (err as HatagoError).code;
  }
  throw new Error('expected a HatagoError');
}

const tmp = tempDir();
const bundles: Record<string, string> = {};

beforeAll(() => {
  for (const name of ['basic', 'eval-error', 'malformed', 'smoke-fail', 'contract-mismatch']) {
    bundles[name] = buildFixture(name, tmp.path);
  }
  bundles['no-entrypoint'] = buildFixture('no-entrypoint', tmp.path, ['--entrypoint', 'other/decision']);
});
afterAll(() => tmp.cleanup());

const alice = { contract: 2, stage: 'request', client: { ip: '198.51.100.7' }, principal: { sub: 'alice' }, candidates: ['a_one', 'b_two', 'a_three'] };

describe('PolicyEngine decisions', () => {
  it('allows, with visible names, client_ip, bundle data and runtime config', async () => {
    const engine = await PolicyEngine.load(bundles.basic!, { runtimeData: { users: ['alice'] } });
    const d = engine.decide(alice);
    expect(d.allow).toBe(true);
    expect(d.visible).toEqual(['a_one', 'a_three']);
    expect(d.clientIp).toBe('198.51.100.7');
    expect(d.raw).toMatchObject({ tier: 100 }); // from the bundle's data.json
    expect(d.reasons).toEqual([]);
  });

  it('exposes revision, entrypoints and activation time', async () => {
    const engine = await PolicyEngine.load(bundles.basic!);
    expect(engine.revision).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(engine.entrypoints).toEqual(['hatago/decision']);
    expect(engine.activatedAt).toBeInstanceOf(Date);
  });

  it('denies with every reason and ERR_PERMISSION_DENIED by default', async () => {
    const engine = await PolicyEngine.load(bundles.basic!, { runtimeData: { users: [] } });
    const d = engine.decide(alice);
    expect(d.allow).toBe(false);
    expect(d.code).toBe('ERR_PERMISSION_DENIED');
    expect(d.reasons.map((r) => r.rule)).toEqual(['basic.unknown_user', 'basic.second']);
    expect(d.visible).toBeUndefined();
  });

  it('passes a known code from the policy and replaces an unknown one', async () => {
    const engine = await PolicyEngine.load(bundles.basic!);
    expect(engine.decide({ ...alice, wanted_code: 'ERR_RATE_LIMITED' }).code).toBe('ERR_RATE_LIMITED');
    expect(engine.decide({ ...alice, wanted_code: 'ERR_MADE_UP' }).code).toBe('ERR_PERMISSION_DENIED');
    expect(engine.decide({ ...alice, wanted_code: 'toString' }).code).toBe('ERR_PERMISSION_DENIED');
  });

  it('setRuntimeData replaces data.config and keeps the bundle data', async () => {
    const engine = await PolicyEngine.load(bundles.basic!, { runtimeData: { users: ['alice'] } });
    expect(engine.decide(alice).allow).toBe(true);
    engine.setRuntimeData({ users: ['bob'] });
    expect(engine.decide(alice).allow).toBe(false);
    const bob = engine.decide({ ...alice, principal: { sub: 'bob' } });
    expect(bob.allow).toBe(true);
    expect(bob.raw).toMatchObject({ tier: 100 });
  });

  it('gives the same decision for an object, a JSON string, a pooled Buffer and a Uint8Array', async () => {
    const engine = await PolicyEngine.load(bundles.basic!, { runtimeData: { users: ['alice'] } });
    const json = JSON.stringify(alice);
    const pooled = Buffer.from(json); // small Buffers share a pool: byteOffset != 0
    const forms = [alice, json, pooled, new Uint8Array(pooled)];
    for (const input of forms) {
      const d = engine.decide(input);
      expect(d.allow).toBe(true);
      expect(d.clientIp).toBe('198.51.100.7');
    }
  });

  it('evaluates a large input (wasm memory grows)', async () => {
    const engine = await PolicyEngine.load(bundles.basic!, { runtimeData: { users: ['alice'] } });
    const big = { ...alice, request: { arguments: { blob: 'x'.repeat(2_000_000) } } };
    expect(engine.decide(big).allow).toBe(true);
    expect(engine.decide(alice).allow).toBe(true);
  });
});

describe('PolicyEngine fails closed', () => {
  it('turns an evaluation error (a string thrown by opa-wasm) into a logged deny, and keeps working', async () => {
    const logger = captureLogger();
    const engine = await PolicyEngine.load(bundles['eval-error']!, { logger });
    const d = engine.decide({ mode: 'conflict' });
    expect(d).toMatchObject({ allow: false, code: 'ERR_POLICY_EVALUATION' });
    expect(d.reasons[0]!.rule).toBe('engine');
    expect(d.reasons[0]!.message).toContain('conflict');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.level).toBe('error');
    expect(String(logger.lines[0]!.meta?.reason)).toContain('conflict');
    expect(engine.decide({}).allow).toBe(true);
  });

  it('denies when division by zero leaves the decision undefined', async () => {
    const engine = await PolicyEngine.load(bundles['eval-error']!);
    const d = engine.decide({ mode: 'divide', zero: 0 });
    expect(d).toMatchObject({ allow: false, code: 'ERR_POLICY_EVALUATION' });
    expect(d.reasons[0]!.message).toContain('undefined');
  });

  it.each([
    ['undefined', 'undefined'],
    ['scalar', 'not an object'],
    ['string-allow', 'not a boolean'],
    ['no-allow', 'not a boolean'],
  ])('denies a malformed decision (%s)', async (mode, why) => {
    const logger = captureLogger();
    const engine = await PolicyEngine.load(bundles.malformed!, { logger });
    const d = engine.decide({ mode });
    expect(d).toMatchObject({ allow: false, code: 'ERR_POLICY_EVALUATION' });
    expect(d.reasons[0]!.message).toContain(why);
    expect(logger.lines.map((l) => l.level)).toEqual(['error']);
  });

  it('denies input that is not JSON instead of evaluating it as no input', async () => {
    // malformed's policy allows when input.mode is absent, so a parse that
    // silently dropped the input would allow.
    const engine = await PolicyEngine.load(bundles.malformed!);
    expect(engine.decide('{"mode": ').code).toBe('ERR_POLICY_EVALUATION');
    expect(engine.decide(Buffer.from([0x7b, 0xff, 0x7d])).code).toBe('ERR_POLICY_EVALUATION');
    expect(engine.decide({ n: 1n }).code).toBe('ERR_POLICY_EVALUATION');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(engine.decide(circular).code).toBe('ERR_POLICY_EVALUATION');
    expect(engine.decide({}).allow).toBe(true);
  });
});

describe('PolicyEngine.load rejects bad bundles', () => {
  it('ERR_BUNDLE_NOT_FOUND for a missing file', async () => {
    expect(await codeOf(PolicyEngine.load(join(tmp.path, 'nope.tar.gz')))).toBe('ERR_BUNDLE_NOT_FOUND');
  });

  it('ERR_BUNDLE_INVALID for a directory', async () => {
    expect(await codeOf(PolicyEngine.load(tmp.path))).toBe('ERR_BUNDLE_INVALID');
  });

  it('ERR_BUNDLE_INVALID without the hatago/decision entrypoint', async () => {
    expect(await codeOf(PolicyEngine.load(bundles['no-entrypoint']!))).toBe('ERR_BUNDLE_INVALID');
  });

  it('ERR_BUNDLE_INVALID when the smoke decision fails', async () => {
    expect(await codeOf(PolicyEngine.load(bundles['smoke-fail']!))).toBe('ERR_BUNDLE_INVALID');
  });

  it('ERR_BUNDLE_INVALID when data.json declares another contract version', async () => {
    expect(await codeOf(PolicyEngine.load(bundles['contract-mismatch']!))).toBe('ERR_BUNDLE_INVALID');
  });

  it('ERR_BUNDLE_INVALID for a truncated (corrupt) bundle', async () => {
    const corrupt = join(tmp.path, 'corrupt.tar.gz');
    copyFileSync(bundles.basic!, corrupt);
    truncateSync(corrupt, Math.floor(readFileSync(corrupt).length / 2));
    expect(await codeOf(PolicyEngine.load(corrupt))).toBe('ERR_BUNDLE_INVALID');
  });

  it('ERR_BUNDLE_INVALID for bytes that are not a bundle', async () => {
    expect(await codeOf(PolicyEngine.fromBuffer(Buffer.from('definitely not a bundle')))).toBe('ERR_BUNDLE_INVALID');
    expect(await codeOf(PolicyEngine.fromBuffer(gzipSync(Buffer.from('gzip, but no tar inside'.repeat(40)))))).toBe('ERR_BUNDLE_INVALID');
  });

  it('ERR_BUNDLE_INVALID when the bundle is over the size limit', async () => {
    expect(await codeOf(PolicyEngine.load(bundles.basic!, { limits: { maxCompressedBytes: 1024 } }))).toBe('ERR_BUNDLE_INVALID');
  });
});
