import { readFileSync } from 'node:fs';
import { ERROR_CODES, HatagoError } from '../../src/errors/index.js';
import { createHttpApp } from '../../src/http/app.js';
import { Hub } from '../../src/hub/hub.js';
import { failedStage, StageRunner, type Stage } from '../../src/pipeline/stage.js';
import { LIFECYCLE } from '../../src/pipeline/lifecycle.js';
import { packagePath } from '../../src/util/package-root.js';

describe('docs/lifecycle.md', () => {
  const rows = readFileSync(packagePath('docs', 'lifecycle.md'), 'utf8')
    .split('\n')
    .map((line) => /^\| (\d+) \| ([a-z-]+) \| (http|mcp) \| (.+?) \| (.+) \|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);

  it('lists the stages of src/pipeline/lifecycle.ts in the same order', () => {
    expect(rows.map((r) => [r[2], r[3], r[4]])).toEqual(LIFECYCLE.map((s) => [s.name, s.scope, s.does]));
  });

  it('names exactly the failure codes of each stage, all of them real codes', () => {
    LIFECYCLE.forEach((stage, i) => {
      const documented = [...rows[i]![5]!.matchAll(/`(ERR_[A-Z_]+)`/g)].map((m) => m[1]);
      expect(documented).toEqual([...stage.fails]);
      for (const code of stage.fails) expect(ERROR_CODES).toHaveProperty(code);
    });
  });
});

describe('the lifecycle is what runs', () => {
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const allow = { check: async () => ({ decisionId: 't' }) };

  it('every JSON-RPC request runs the MCP stages of the table, in its order, with their specs', () => {
    const hub = new Hub({ upstreams: [], guard: allow, logger: silent });
    const specs = hub.runner.stages.map(({ name, scope, does, fails }) => ({ name, scope, does, fails }));
    expect(specs).toEqual(LIFECYCLE.filter((s) => s.scope === 'mcp').map(({ name, scope, does, fails }) => ({ name, scope, does, fails })));
    hub.close();
  });

  it('every /mcp request runs the HTTP stages of the table, in its order', () => {
    const hub = new Hub({ upstreams: [], guard: allow, logger: silent });
    const app = createHttpApp({ hub, logger: silent });
    // The default app has no policy: its network and authentication stages are stand-ins of the same names.
    expect(app.stages.map((s) => s.name)).toEqual(LIFECYCLE.filter((s) => s.scope === 'http').map((s) => s.name));
    expect(app.stages.slice(2).map(({ does, fails }) => ({ does, fails }))).toEqual(LIFECYCLE.slice(2, 4).map(({ does, fails }) => ({ does, fails })));
    app.close();
    hub.close();
  });

  it('a runner refuses stages out of lifecycle order, or not in it', () => {
    const stage = (name: string): Stage<object> => ({ name, scope: 'mcp', does: '', fails: [], run() {} });
    expect(() => new StageRunner([stage('forward'), stage('policy')])).toThrow('stage "policy" runs out of lifecycle order');
    expect(() => new StageRunner([stage('policy'), stage('audit')])).toThrow('stage "audit" is not in the lifecycle');
  });

  it('a failure is tagged with its stage; a code the stage does not declare is logged, and is ERR_INTERNAL in strict runs', async () => {
    const logged: string[] = [];
    const logger = { ...silent, error: (m: string, meta?: Record<string, unknown>) => void logged.push(`${m} ${JSON.stringify(meta)}`) };
    const declared: Stage<object> = { name: 'policy', scope: 'mcp', does: '', fails: ['ERR_PERMISSION_DENIED'], run() { throw new HatagoError('ERR_PERMISSION_DENIED'); } };
    const undeclared: Stage<object> = { ...declared, run() { throw new HatagoError('ERR_RATE_LIMITED'); } };
    const err1 = await new StageRunner([declared], logger).run({}).catch((e: unknown) => e);
    expect({ code: (err1 as HatagoError).code, stage: failedStage(err1) }).toEqual({ code: 'ERR_PERMISSION_DENIED', stage: 'policy' });
    expect(process.env.HATAGO_STAGE_CHECK).toBe('strict'); // jest's global setup
    const err2 = await new StageRunner([undeclared], logger).run({}).catch((e: unknown) => e);
    expect({ code: (err2 as HatagoError).code, stage: failedStage(err2) }).toEqual({ code: 'ERR_INTERNAL', stage: 'policy' });
    expect(logged).toEqual(['stage failed with an undeclared code {"component":"pipeline","stage":"policy","code":"ERR_RATE_LIMITED"}']);
  });

  it('in strict runs a later stage still sees the original failure; only the answer becomes ERR_INTERNAL', async () => {
    const seen: string[] = [];
    const policy: Stage<object> = { name: 'policy', scope: 'mcp', does: '', fails: [], run() { throw new HatagoError('ERR_PERMISSION_DENIED'); } };
    const limits: Stage<object> = { name: 'rate-limit', scope: 'mcp', does: '', fails: [], run() {}, afterFailure(_x, err) { seen.push((err as HatagoError).code); } };
    const err = await new StageRunner([policy, limits]).run({}).catch((e: unknown) => e);
    expect({ seen, code: (err as HatagoError).code }).toEqual({ seen: ['ERR_PERMISSION_DENIED'], code: 'ERR_INTERNAL' });
  });

  it('a later stage may answer instead of an earlier failure (the rate-limit stage counting a denial)', async () => {
    const order: string[] = [];
    const policy: Stage<object> = { name: 'policy', scope: 'mcp', does: '', fails: ['ERR_PERMISSION_DENIED'], run() { throw new HatagoError('ERR_PERMISSION_DENIED'); } };
    const limits: Stage<object> = {
      name: 'rate-limit', scope: 'mcp', does: '', fails: ['ERR_RATE_LIMITED'],
      run() { order.push('rate-limit ran'); },
      afterFailure(_x, err) { order.push(`saw ${(err as HatagoError).code}`); throw new HatagoError('ERR_RATE_LIMITED'); },
    };
    const forward: Stage<object> = { name: 'forward', scope: 'mcp', does: '', fails: [], run() { order.push('forward ran'); } };
    const err = await new StageRunner([policy, limits, forward]).run({}).catch((e: unknown) => e);
    expect({ code: (err as HatagoError).code, stage: failedStage(err), order }).toEqual({ code: 'ERR_RATE_LIMITED', stage: 'rate-limit', order: ['saw ERR_PERMISSION_DENIED'] });
  });
  it('observers see every stage with its outcome; one that throws is logged and the request goes on', async () => {
    const warned: string[] = [];
    const logger = { ...silent, warn: (m: string, meta?: Record<string, unknown>) => void warned.push(`${m} ${JSON.stringify(meta)}`) };
    const policy: Stage<object> = { name: 'policy', scope: 'mcp', does: '', fails: [], run() {} };
    const forward: Stage<object> = { name: 'forward', scope: 'mcp', does: '', fails: ['ERR_UPSTREAM_ERROR'], run() { throw new HatagoError('ERR_UPSTREAM_ERROR'); } };
    const runner = new StageRunner([policy, forward], logger);
    const seen: string[] = [];
    runner.onStart((s) => { seen.push(`start ${s.name}`); throw new Error('starter broke'); });
    runner.observe((s, _x, outcome) => { seen.push(`end ${s.name} ${outcome.error instanceof HatagoError ? outcome.error.code : 'ok'} ${typeof outcome.durationMs}`); throw new Error('observer broke'); });
    const err = await runner.run({}).catch((e: unknown) => e);
    expect((err as HatagoError).code).toBe('ERR_UPSTREAM_ERROR');
    expect(seen).toEqual(['start policy', 'end policy ok number', 'start forward', 'end forward ERR_UPSTREAM_ERROR number']);
    expect(warned).toEqual([
      'stage observer failed {"component":"pipeline","stage":"policy","error":"Error: starter broke"}',
      'stage observer failed {"component":"pipeline","stage":"policy","error":"Error: observer broke"}',
      'stage observer failed {"component":"pipeline","stage":"forward","error":"Error: starter broke"}',
      'stage observer failed {"component":"pipeline","stage":"forward","error":"Error: observer broke"}',
    ]);
  });
});
