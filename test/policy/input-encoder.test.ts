// The input encoder serialises a frozen `candidates` list once (the hub's
// catalogue), and every other input as it is at each call; the shipped
// bundle decides a list the same either way.
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { InputEncoder } from '../../src/policy/input-encoder.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { repoRoot } from './helpers.js';

const decoded = (b: ArrayBuffer): unknown => JSON.parse(new TextDecoder().decode(b));
const list = (n: number, server = 'fx') => Array.from({ length: n }, (_, i) => ({ server, kind: 'tool', name: `t${i}`, exposed: `${server}_t${i}` }));

describe('InputEncoder', () => {
  it('a frozen candidates list: the same JSON as a plain stringify, for every input it is in', () => {
    const enc = new InputEncoder();
    const candidates = Object.freeze(list(40));
    for (const method of ['tools/list', 'prompts/list']) {
      const input = { stage: 'request', request: { method }, candidates, after: [1, 'x'] };
      expect(decoded(enc.encode(input))).toEqual(JSON.parse(JSON.stringify(input)));
    }
    expect(decoded(enc.encode({ candidates }))).toEqual({ candidates: JSON.parse(JSON.stringify(candidates)) });
  });

  it('an unfrozen list is read anew at each call: a change between two calls is seen', () => {
    const enc = new InputEncoder();
    const candidates = list(40);
    enc.encode({ candidates });
    candidates[0]!.exposed = 'changed';
    candidates.push({ server: 'fx', kind: 'tool', name: 'new', exposed: 'fx_new' });
    expect(decoded(enc.encode({ candidates }))).toEqual({ candidates: JSON.parse(JSON.stringify(candidates)) });
  });

  it('a non-JSON input is still refused', () => {
    const enc = new InputEncoder();
    expect(() => enc.encode({ candidates: Object.freeze(list(40)), x: 1n } as object)).toThrow(TypeError);
  });
});

describe('the shipped bundle decides a frozen list as an unfrozen one', () => {
  it('tools/list with per-tool grants: the same visible names', async () => {
    const engine = await PolicyEngine.load(join(repoRoot, 'policies', 'bundle', 'hatago.tar.gz'), {
      runtimeData: { authentication: { enabled: true }, authorization: { enabled: true, roles: { some: { permissions: ['server:a:tools:call:t1*', 'server:b:tools:*'] } } } },
    });
    const candidates = [...list(30, 'a'), ...list(30, 'b'), ...list(30, 'c')];
    const input = (c: unknown) => ({
      contract: 2, stage: 'request', now_ns: 0, transport: 'http',
      client: { ip: '10.0.0.1', origin: null, user_agent: null },
      principal: { sub: 'u', username: null, roles: ['some'], permissions: null, scope: null, session_id: null, claims: {} },
      request: { method: 'tools/list', kind: null, server: null, name: null, exposed: null, arguments: null, arguments_size: 0, params: null, protocol_version: '2025-11-25', session_id: null },
      candidates: c,
    });
    const plain = engine.decide(input(candidates));
    const frozen = Object.freeze([...candidates]);
    expect(engine.decide(input(frozen))).toEqual(plain);
    expect(engine.decide(input(frozen))).toEqual(plain); // from the cached JSON
    expect(plain.visible).toEqual(['a_t1', ...Array.from({ length: 10 }, (_, i) => `a_t1${i}`), ...list(30, 'b').map((c) => c.exposed)]);
  });
});
