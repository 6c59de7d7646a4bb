// The shipped bundle decides a list whose frozen candidates are kept in wasm
// memory exactly as it decides the same list sent whole: for several lists
// at once, past the bound of resident lists, with other decisions in
// between, and after the data changed (new roles apply at once).
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { readBundle } from '../../src/policy/bundle/read-bundle.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { ResidentCandidates } from '../../src/policy/resident-candidates.js';
import type { PolicyDecision } from '../../src/policy/types.js';
import { repoRoot } from './helpers.js';

const BUNDLE = join(repoRoot, 'policies', 'bundle', 'hatago.tar.gz');
const config = (grants: string[]) => ({ authentication: { enabled: true }, authorization: { enabled: true, roles: { some: { permissions: grants } } } });

const digest = `sha256:${'cd'.repeat(32)}`;
const list = (n: number, kind: string, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    server: `s${i % 3}`, kind, name: `${tag}${i}`, exposed: `s${i % 3}_${tag}${i}`,
    ...(i % 4 === 0 && { definition: { status: i % 8 === 0 ? 'changed' : 'pinned', pinned_digest: digest, digest, description: null, mentions: [] } }),
  }));

function input(method: string, candidates: unknown, roles = ['some']) {
  return {
    contract: 2, stage: 'request', now_ns: 1, transport: 'http',
    client: { ip: '10.0.0.1', origin: null, user_agent: null },
    principal: { sub: 'u', username: null, roles, permissions: null, scope: null, session_id: null, claims: {} },
    request: { method, kind: null, server: null, name: null, exposed: null, arguments: null, arguments_size: 0, params: null, protocol_version: '2025-11-25', session_id: null },
    candidates,
  };
}

const call = (name: string) => ({ ...input('tools/call', undefined), request: { ...input('tools/call', undefined).request, kind: 'tool', server: 's1', name, exposed: `s1_${name}` } });
const visible = (d: PolicyDecision) => d.visible;

describe('resident candidates', () => {
  it('the same decisions as the whole input: two lists, other decisions in between, more lists than are kept', async () => {
    const engine = await PolicyEngine.load(BUNDLE, { runtimeData: config(['server:s1:tools:*', 'server:s2:tools:call:t1*', 'server:*:prompts:list:*']) });
    const tools = list(60, 'tool', 't');
    const prompts = list(40, 'prompt', 'p');
    const frozenTools = Object.freeze([...tools]);
    const frozenPrompts = Object.freeze([...prompts]);
    const wantTools = engine.decide(input('tools/list', tools));
    const wantPrompts = engine.decide(input('prompts/list', prompts));
    expect(visible(wantTools)!.length).toBeGreaterThan(10);
    expect(visible(wantTools)).not.toContain('s0_t4'); // a changed definition is hidden
    expect(visible(wantPrompts)!.length).toBeGreaterThan(10);
    for (let round = 0; round < 3; round++) {
      expect(engine.decide(input('tools/list', frozenTools))).toEqual(wantTools);
      expect(engine.decide(call('t5')).allow).toBe(true); // the usual evaluation between two resident ones
      expect(engine.decide(input('prompts/list', frozenPrompts))).toEqual(wantPrompts);
      expect(engine.decide(call('t6'))).toMatchObject({ allow: true });
    }
    // Twelve more catalogues (each a new frozen array): the region is rebuilt, the answers stay right.
    for (let i = 0; i < 12; i++) {
      const more = list(20 + i, 'tool', `m${i}_`);
      expect(engine.decide(input('tools/list', Object.freeze([...more])))).toEqual(engine.decide(input('tools/list', more)));
    }
    expect(engine.decide(input('tools/list', frozenTools))).toEqual(wantTools);
    // The frozen lists were decided from wasm memory (an unfrozen list never is).
    expect((engine as unknown as { resident: ResidentCandidates }).resident.size).toBeGreaterThan(0);
  });

  it('new data (roles) applies to a resident list at once', async () => {
    const engine = await PolicyEngine.load(BUNDLE, { runtimeData: config(['server:s1:tools:*']) });
    const tools = Object.freeze(list(30, 'tool', 't'));
    const before = visible(engine.decide(input('tools/list', tools)))!;
    expect(before.every((n) => n.startsWith('s1_'))).toBe(true);
    engine.setRuntimeData(config(['server:s0:tools:*']));
    const after = visible(engine.decide(input('tools/list', tools)))!;
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((n) => n.startsWith('s0_'))).toBe(true);
    expect(engine.decide(input('tools/list', tools))).toEqual(engine.decide(input('tools/list', [...tools])));
  });

  it('a denied list and a list of no candidate decide as before', async () => {
    const engine = await PolicyEngine.load(BUNDLE, { runtimeData: config([]) });
    const tools = Object.freeze(list(30, 'tool', 't'));
    expect(engine.decide(input('tools/list', tools, ['nobody']))).toEqual(engine.decide(input('tools/list', [...tools], ['nobody'])));
    expect(visible(engine.decide(input('tools/list', tools)))).toEqual([]);
  });

  it('ResidentCandidates on the bundle\'s own wasm: a list is parsed once and linked into each input, with the whole input\'s answer', async () => {
    const bundle = readBundle(readFileSync(BUNDLE));
    const policy = await loadPolicy(bundle.wasm);
    policy.setData({ ...bundle.data, config: config(['server:s1:tools:*']) });
    const entrypoint = (policy.entrypoints as Record<string, number>)['hatago/decision']!;
    const resident = ResidentCandidates.of(policy)!;
    expect(resident).not.toBeNull();
    const tools = list(30, 'tool', 't');
    const { candidates: _c, ...rest } = input('tools/list', tools);
    const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const whole = policy.evaluate(input('tools/list', tools));
    expect(resident.size).toBe(0);
    expect(resident.evaluate(bytes(rest), tools, bytes(tools), entrypoint)).toEqual(whole);
    expect(resident.size).toBe(1);
    expect(policy.evaluate(input('tools/list', tools))).toEqual(whole); // opa-wasm's own path starts above the region
    expect(resident.evaluate(bytes(rest), tools, bytes(tools), entrypoint)).toEqual(whole);
    expect(resident.size).toBe(1);
    // Input JSON the wasm cannot parse: no answer, the caller evaluates the whole input.
    expect(resident.evaluate(new TextEncoder().encode('{"stage": '), tools, bytes(tools), entrypoint)).toBeUndefined();
    resident.invalidate();
    expect(resident.size).toBe(0);
  });

  it('an opa-wasm without the fields it needs: none (the engine evaluates as before)', () => {
    expect(ResidentCandidates.of({ evaluate: () => [] } as unknown as Parameters<typeof ResidentCandidates.of>[0])).toBeNull();
  });
});
