// The Rego package hatago.breaker, compiled to wasm by the real build script
// with the pinned OPA, evaluated by the real PolicyEngine, and its answer
// turned into breakers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BreakerRegistry, breakerTableInput, parseBreakerTable, DEFAULT_SEVERITY } from '../../src/breaker/index.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { buildBundle, repoRoot, tempDir } from '../policy/helpers.js';
import { GUIDE_CIRCUIT_BREAKER, TestClock } from './helpers.js';

// A stand-in for hatago/decision that routes stage "breaker_table" the way
// the main decision is meant to.
const WRAPPER = `package hatago

import data.hatago.breaker

default decision := {"allow": false, "code": "ERR_PERMISSION_DENIED", "reasons": [{"rule": "test.only_breaker_table", "message": "breaker_table only"}]}

decision := {"allow": true, "reasons": [], "breakers": breaker.table} if input.stage == "breaker_table"
`;

const guideConfig = { circuitBreaker: GUIDE_CIRCUIT_BREAKER };

const tmp = tempDir('hatago-breaker-test-');
let bundle = '';

beforeAll(() => {
  const src = join(tmp.path, 'rego');
  mkdirSync(join(src, 'hatago'), { recursive: true });
  cpSync(join(repoRoot, 'policies', 'rego', 'hatago', 'breaker', 'breaker.rego'), join(src, 'hatago', 'breaker', 'breaker.rego'));
  writeFileSync(join(src, 'hatago', 'decision.rego'), WRAPPER);
  writeFileSync(join(src, 'data.json'), JSON.stringify({ hatago: { contract: [1] } }));
  bundle = buildBundle(src, join(tmp.path, 'breaker.tar.gz'));
});
afterAll(() => tmp.cleanup());

describe('hatago.breaker compiled to wasm', () => {
  it('answers the table for every server in one evaluation, with the guide config', async () => {
    const engine = await PolicyEngine.load(bundle, { runtimeData: guideConfig });
    const input = breakerTableInput([
      { id: 'filesystem', tags: ['local'] },
      { id: 'github', tags: ['prod', 'external-services'] },
      { id: 'plain' },
    ]);
    const table = parseBreakerTable(engine.decide(input).raw, ['filesystem', 'github', 'plain']);
    expect(table.enabled).toBe(true);
    expect(table.servers.filesystem).toEqual({
      rule: { name: 'default', failureThreshold: 5, resetTimeoutMs: 30000, halfOpenMaxCalls: 3 },
      severity: DEFAULT_SEVERITY,
    });
    expect(table.servers.github).toEqual({
      rule: { name: 'external-services', failureThreshold: 3, resetTimeoutMs: 60000, halfOpenMaxCalls: 3 },
      severity: { ...DEFAULT_SEVERITY, timeout: 'critical', connection: 'high' },
    });
    expect(table.servers.plain!.rule.name).toBe('default');
  });

  it('without config: built-in defaults, enabled', async () => {
    const engine = await PolicyEngine.load(bundle, { runtimeData: {} });
    const table = parseBreakerTable(engine.decide(breakerTableInput([{ id: 'a', tags: [] }])).raw);
    expect(table).toEqual({
      enabled: true,
      servers: { a: { rule: { name: 'default', failureThreshold: 5, resetTimeoutMs: 30000, halfOpenMaxCalls: 3 }, severity: DEFAULT_SEVERITY } },
    });
  });

  it('the table builds breakers that follow their rule', async () => {
    const engine = await PolicyEngine.load(bundle, { runtimeData: guideConfig });
    const table = parseBreakerTable(engine.decide(breakerTableInput([{ id: 'fs' }, { id: 'gh', tags: ['external-services'] }])).raw);
    const registry = new BreakerRegistry({ table, clock: new TestClock() });
    for (let i = 0; i < 3; i++) registry.acquire('gh').failure('high');
    for (let i = 0; i < 3; i++) registry.acquire('fs').failure('high');
    expect(registry.get('gh')!.state).toBe('open');
    expect(registry.get('fs')!.state).toBe('closed');
  });
});
