// Shadow mode, the decision log and replay diff with the real hub process.
// Active: the shipped policies/rego; the operator's role `tester` may list
// fx tools and call echo (so write_file is denied). Candidate: the same plus
// a custom rule (fixtures/policies/workflow/custom/no_echo.rego) that denies
// and hides echo. Requests go through as the active policy says, the
// candidate's differences are logged and counted, and the decision log of
// the run replays through `hatago policy diff`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const FIXTURES = packagePath('test', 'fixtures', 'policies', 'workflow');
const tmp = mkdtempSync(path.join(tmpdir(), 'hatago-shadow-'));
const active = path.join(tmp, 'active.tar.gz');
const candidate = path.join(tmp, 'candidate.tar.gz');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface LogLine {
  message?: string;
  component?: string;
  decisionId?: string;
  differs?: string[];
  name?: string;
  reasons?: { rule: string }[];
  active?: { allow: boolean; rules?: string[] };
  candidate?: { allow: boolean; rules?: string[]; revision?: string };
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

let hub: HubProcess;
let client: Client;
let deniedError: { code?: number; message: string; data?: Record<string, unknown> };
let echoText: string;
let deniedStatus: number;

beforeAll(async () => {
  const activeSrc = path.join(tmp, 'active-src');
  const candidateSrc = path.join(tmp, 'candidate-src');
  cpSync(packagePath('policies', 'rego'), activeSrc, { recursive: true });
  cpSync(packagePath('policies', 'rego'), candidateSrc, { recursive: true });
  cpSync(path.join(FIXTURES, 'custom'), path.join(candidateSrc, 'hatago', 'custom'), { recursive: true });
  for (const [dir, out] of [[activeSrc, active], [candidateSrc, candidate]] as const) {
    const built = await runHatago(['policy', 'build', '--dir', dir, '--out', out]);
    expect(built).toMatchObject({ code: 0 });
  }
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    policies: { bundle: active, shadow: candidate, decisionLog: { file: 'logs/decisions.log' } },
    security: {
      authorization: { enabled: true, defaultRole: 'tester', roles: { tester: { permissions: ['server:fx:tools:list', 'server:fx:tools:call:echo', 'admin:status:read'] } } },
    },
  });
  client = new Client({ name: 'shadow-e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  await client.listTools();
  const echo = (await client.callTool({ name: 'fx_echo', arguments: { text: 'Bearer s3cr3t-t0ken' } })) as { content: { text?: string }[] };
  echoText = echo.content.map((c) => c.text ?? '').join('');
  // Raw HTTP for the denied call: the test reads exactly what the client is sent.
  const denied = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      'mcp-session-id': (client.transport as StreamableHTTPClientTransport).sessionId!,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'fx_write_file', arguments: { path: '/x', content: 'y' } } }),
  });
  deniedStatus = denied.status;
  deniedError = ((await denied.json()) as { error: typeof deniedError }).error;
  // Shadow evaluations run after the answers: wait for both differences to be logged.
  await hub.proc.waitForLine(/shadow policy decision differs[\s\S]*shadow policy decision differs/);
});

afterAll(async () => {
  await client?.close();
  await hub?.stop();
});

describe('shadow mode', () => {
  it('enforces only the active policy', () => {
    expect(echoText).toBe('Bearer s3cr3t-t0ken');
    expect(deniedStatus).toBe(403);
    expect(deniedError.code).toBe(-32003);
  });

  it('logs each difference with both results and the decisionId', () => {
    const diffs = logLines(hub.proc.output()).filter((l) => l.message === 'shadow policy decision differs');
    expect(diffs.every((d) => d.component === 'policy-shadow' && typeof d.decisionId === 'string')).toBe(true);
    const call = diffs.find((d) => d.name === 'echo');
    expect(call).toMatchObject({ differs: ['allow'], active: { allow: true }, candidate: { allow: false, rules: ['custom.no_echo'] } });
    const list = diffs.find((d) => d.differs?.includes('visible'));
    expect(list).toBeDefined();
  });

  it('counts the differences, shown in /health/details', async () => {
    const health = (await (await fetch(`${hub.url}/health/details`)).json()) as { policy: { shadow: { mismatches: number; evaluated: number; bundle: string } } };
    const logged = logLines(hub.proc.output()).filter((l) => l.message === 'shadow policy decision differs').length;
    expect(health.policy.shadow.mismatches).toBe(logged);
    expect(health.policy.shadow.bundle).toBe(candidate);
    expect(health.policy.shadow.evaluated).toBeGreaterThanOrEqual(logged);
  });
});

describe('deny reasons', () => {
  it('the client sees a generic message and the decisionId, never the reasons', () => {
    expect(deniedError.message).toContain('Forbidden: permission denied by policy');
    expect(Object.keys(deniedError.data ?? {}).sort()).toEqual(['code', 'decisionId']);
    expect(deniedError.data?.code).toBe('ERR_PERMISSION_DENIED');
    expect(JSON.stringify(deniedError)).not.toContain('rbac');
    expect(JSON.stringify(deniedError)).not.toContain('grants');
  });

  it('the log line names the rule under the same decisionId', () => {
    const denied = logLines(hub.proc.output()).find((l) => l.message === 'request denied' && l.decisionId === deniedError.data?.decisionId);
    expect(denied?.reasons?.map((r) => r.rule)).toEqual(['rbac.missing_permission']);
  });
});

describe('decision log and replay diff', () => {
  let logFile: string;
  interface Rec { decisionId: string; revision: string; timestamp: string; input: { request: { method: string; name: string | null; arguments: Record<string, unknown> | null } }; result: { allow: boolean; reasons: { rule: string }[] } }
  let records: Rec[];

  beforeAll(async () => {
    await client.close();
    await hub.stop(); // SIGTERM: the hub flushes the decision log on the way out
    logFile = path.join(hub.dir, 'logs', 'decisions.log');
    records = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
  });

  it('holds one masked line per request decision', () => {
    const echo = records.find((r) => r.input.request.name === 'echo');
    expect(echo?.result).toEqual({ allow: true, reasons: [] });
    expect(echo?.input.request.arguments).toEqual({ text: 'Bearer [REDACTED]' });
    const denied = records.find((r) => r.decisionId === deniedError.data?.decisionId);
    expect(denied?.result).toMatchObject({ allow: false, code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'rbac.missing_permission' }] });
    expect(records.map((r) => r.input.request.method)).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call']));
    expect(readFileSync(logFile, 'utf8')).not.toContain('s3cr3t');
  });

  it('diff reports each changed decision and exits 2', async () => {
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', logFile, '--format', 'json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.output) as { summary: Record<string, number>; changes: { decisionId: string; differs: string[]; before: { allow: boolean }; after: { allow: boolean; rules: string[] } }[] };
    const echoId = records.find((r) => r.input.request.name === 'echo')!.decisionId;
    expect(out.changes.find((c) => c.decisionId === echoId)).toMatchObject({ differs: ['allow'], before: { allow: true }, after: { allow: false, rules: ['custom.no_echo'] } });
    expect(out.changes.some((c) => c.differs.includes('visible'))).toBe(true);
    expect(out.changes.some((c) => c.decisionId === deniedError.data?.decisionId)).toBe(false);
    expect(out.summary).toMatchObject({ replayed: records.length, changed: out.changes.length, allowToDeny: 1 });
  });

  it('diff replays the audit trail of the same run (the issue: --replay audit.log) with the same result', async () => {
    const auditFile = path.join(hub.dir, 'logs', 'audit.log');
    expect(readFileSync(auditFile, 'utf8')).not.toContain('s3cr3t');
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', candidate, '--replay', auditFile, '--format', 'json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.output) as { summary: Record<string, number>; changes: { decisionId: string; differs: string[] }[] };
    const echoId = records.find((x) => x.input.request.name === 'echo')!.decisionId;
    expect(out.changes.find((c) => c.decisionId === echoId)).toMatchObject({ differs: ['allow'] });
    expect(out.summary).toMatchObject({ replayed: records.length, allowToDeny: 1 });
  });

  it('diff of a bundle against itself exits 0', async () => {
    const r = await runHatago(['policy', 'diff', '--bundle', active, '--candidate', active, '--replay', logFile]);
    expect(r.code).toBe(0);
    expect(r.output).toContain(`${records.length} decisions replayed, 0 changed`);
  });
});

describe('a shadow bundle that does not load', () => {
  it('stops the start with one line naming the shadow bundle', async () => {
    const { file, dir } = writeConfig({ mcpServers: {}, http: { host: '127.0.0.1', port: 0 }, policies: { bundle: active, shadow: path.join(tmp, 'missing.tar.gz') } });
    const r = await runHatago(['serve', '--config', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/hatago: Shadow policy bundle .*missing\.tar\.gz: .* \[ERR_BUNDLE_NOT_FOUND\]/);
  });
});
