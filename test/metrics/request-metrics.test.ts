// The request path's own metrics on a real hub: per-request duration by
// transport/method/code, per-stage and per-policy-evaluation durations,
// upstream calls by server and outcome, tool calls (catalog names only),
// rate-limit decisions and store latency, audit write latency, open
// sessions, the bundle's revision, and Node's process metrics.
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { openSession } from '../audit/helpers.js';
import { hs256Token } from '../helpers/tokens.js';
import { LIFECYCLE } from '../../src/pipeline/lifecycle.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { promtool, sample, scrape, stopAndRemove } from './helpers.js';

const DASHBOARD = packagePath('deploy', 'grafana', 'hatago.json');
const RULES = packagePath('deploy', 'prometheus', 'hatago-rules.yml');

/** Every PromQL expression of the shipped dashboard, with its variables filled in. */
function dashboardExprs(): string[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  return dash.panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll('$job', '.*')));
}

useProcessCleanup();

const SECRET = 'request-metrics-secret-0123456789-0123456789';
let hub: HubProcess;
let admin: string;
let text: string;

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      authorization: { enabled: true },
      rateLimit: { enabled: true, rules: [{ name: 'per-user', windowMs: 60000, max: 100, keyGenerator: 'user' }] },
    },
  });
  admin = `Bearer ${await hs256Token(SECRET, { sub: 'ops', roles: ['admin'] })}`;
  const reader = `Bearer ${await hs256Token(SECRET, { sub: 'rita', roles: ['readonly'] })}`;
  const ops = await openSession(hub, { authorization: admin });
  expect((await ops.call('fx_echo', { text: 'hi' })).status).toBe(200);
  expect((await ops.call('fx_no_such_tool')).json.error.data.code).toBe('ERR_UNKNOWN_TOOL');
  const rita = await openSession(hub, { authorization: reader });
  expect((await rita.call('fx_echo', { text: 'no' })).json.error.data.code).toBe('ERR_PERMISSION_DENIED');
  text = await scrape(hub, admin);
});

afterAll(async () => {
  await stopAndRemove(hub);
});

describe('request path metrics', () => {
  it('one request duration series per transport, method and outcome code', () => {
    const count = (method: string, code: string) => sample(text, 'hatago_request_duration_seconds_count', { transport: 'http', method, code });
    expect({
      initialize: count('initialize', 'ok'),
      call: count('tools/call', 'ok'),
      unknown: count('tools/call', 'ERR_UNKNOWN_TOOL'),
      denied: count('tools/call', 'ERR_PERMISSION_DENIED'),
    }).toEqual({ initialize: 2, call: 1, unknown: 1, denied: 1 });
  });

  it('every lifecycle stage that ran has its duration, by outcome', () => {
    for (const stage of LIFECYCLE) {
      expect([stage.name, sample(text, 'hatago_stage_duration_seconds_count', { stage: stage.name, outcome: 'ok' }) > 0]).toEqual([stage.name, true]);
    }
    expect(sample(text, 'hatago_stage_duration_seconds_count', { stage: 'policy', outcome: 'ERR_PERMISSION_DENIED' })).toBe(1);
    expect(sample(text, 'hatago_stage_duration_seconds_count', { stage: 'routing', outcome: 'ERR_UNKNOWN_TOOL' })).toBe(1);
  });

  it('policy evaluations by contract stage; upstream calls and tool calls by server and outcome', () => {
    expect(sample(text, 'hatago_policy_evaluation_duration_seconds_count', { stage: 'request' })).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'hatago_policy_evaluation_duration_seconds_count', { stage: 'network' })).toBeGreaterThanOrEqual(8);
    expect(sample(text, 'hatago_upstream_request_duration_seconds_count', { server: 'fx', method: 'tools/call', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'hatago_tool_calls_total', { server: 'fx', tool: 'fx_echo', outcome: 'ok' })).toBe(1);
    // A name the catalog does not have never becomes a label.
    expect(text).not.toContain('fx_no_such_tool');
  });

  it('rate-limit decisions and store latency, audit writes, sessions, the bundle, process metrics', () => {
    expect(sample(text, 'hatago_rate_limit_decisions_total', { result: 'allowed' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'hatago_rate_limit_store_duration_seconds_count', { store: 'memory' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'hatago_audit_write_duration_seconds_count')).toBeGreaterThanOrEqual(8);
    expect(sample(text, 'hatago_audit_queue_depth')).toBe(0);
    expect(sample(text, 'hatago_sessions_open', { transport: 'http' })).toBe(2);
    const revision = /^hatago_policy_bundle_info\{revision="([^"]+)"\} 1$/m.exec(text)?.[1];
    expect(revision).toMatch(/\S/);
    expect(sample(text, 'hatago_policy_bundle_activated_timestamp_seconds')).toBeGreaterThan(1.7e9);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('denials by stage, code and the rule that denied', () => {
    const denial = /^hatago_denials_total\{([^}]*)\} (\d+)$/m.exec(text);
    expect(denial?.[1]).toMatch(/stage="request"/);
    expect(denial?.[1]).toMatch(/code="ERR_PERMISSION_DENIED"/);
    expect(denial?.[1]).toMatch(/rule="[a-z_.]+"/);
  });

  it('every series the shipped dashboard and rules read exists in this scrape', () => {
    const recorded = new Set([...readFileSync(RULES, 'utf8').matchAll(/record: (\w+)/g)].map((m) => m[1]!));
    const families = new Set([...text.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]!));
    const sources = [...dashboardExprs(), readFileSync(RULES, 'utf8')].join('\n');
    const referenced = new Set([...sources.matchAll(/\bhatago_\w+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')).filter((n) => !recorded.has(n)));
    expect(referenced.size).toBeGreaterThan(15);
    expect([...referenced].filter((n) => !families.has(n))).toEqual([]);
  });

  it('every dashboard expression is valid PromQL (promtool check rules on them as recording rules)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-dashboard-'));
    try {
      const rules = dashboardExprs().map((e, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(e)}`).join('\n');
      writeFileSync(path.join(dir, 'dashboard.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const r = promtool(['check', 'rules', path.join(dir, 'dashboard.yml')]);
      expect(r.output).toContain(`SUCCESS: ${dashboardExprs().length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the scrape passes promtool check metrics', () => {
    const r = promtool(['check', 'metrics'], text);
    expect(r).toEqual({ status: 0, output: '' });
  });
});
