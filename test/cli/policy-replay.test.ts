// `policy eval`, `explain` and `diff` read the same records: a real hub run
// with the default config (no decision log) writes logs/audit.log, and
// - every audit line that carries an input evaluates, alone, to the decision
//   the hub recorded for it (no more hatago.unknown_stage on audit lines);
// - diff replays exactly those lines;
// - the README's policy commands run as printed, in the hub's folder.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { fixtureStdio, HATAGO_BIN, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const CUSTOM = packagePath('test', 'fixtures', 'policies', 'workflow', 'custom');

interface AuditLine {
  event: string;
  decisionId?: string;
  metadata?: { input?: Record<string, unknown>; name?: string | null; reasons?: { rule: string }[] };
}

let hub: HubProcess;
let audit: { text: string; record: AuditLine }[];

beforeAll(async () => {
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: {
      authorization: { enabled: true, defaultRole: 'tester', roles: { tester: { permissions: ['server:fx:tools:list', 'server:fx:tools:call:echo'] } } },
    },
  });
  const client = new Client({ name: 'replay-e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  await client.listTools();
  await client.callTool({ name: 'fx_echo', arguments: { text: 'hi' } });
  await expect(client.callTool({ name: 'fx_write_file', arguments: { path: '/x', content: 'y' } })).rejects.toMatchObject({ code: 403 }); // the SDK surfaces the HTTP status
  await client.close();
  await hub.stop();
  audit = readFileSync(path.join(hub.dir, 'logs', 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((text) => ({ text, record: JSON.parse(text) as AuditLine }));
  // The policy sources a security team edits, with a candidate rule (denies echo) in hatago.custom.
  cpSync(packagePath('policies', 'rego'), path.join(hub.dir, 'policies', 'rego'), { recursive: true });
  cpSync(CUSTOM, path.join(hub.dir, 'policies', 'rego', 'hatago', 'custom'), { recursive: true });
});

afterAll(() => rmSync(hub.dir, { recursive: true, force: true }));

const withInput = () => audit.filter((a) => a.record.metadata?.input !== undefined);

describe('one input format for eval, explain and diff', () => {
  it('the decision log is off by default: the audit log is the record to replay', () => {
    expect(existsSync(path.join(hub.dir, 'logs', 'decisions.log'))).toBe(false);
    expect(withInput().map((a) => a.record.event)).toEqual(expect.arrayContaining(['permission_granted', 'permission_denied']));
  });

  it('eval on one audit line answers what the hub decided for it', async () => {
    for (const [i, a] of withInput().entries()) {
      const file = path.join(hub.dir, `line-${i}.json`);
      writeFileSync(file, `${a.text}\n`);
      const r = await runHatago(['policy', 'eval', '--input', file], { cwd: hub.dir });
      const out = JSON.parse(r.output) as { allow: boolean; reasons: { rule: string }[] };
      expect({ event: a.record.event, allow: out.allow, code: r.code }).toEqual({ event: a.record.event, allow: a.record.event === 'permission_granted', code: out.allow ? 0 : 2 });
      expect(out.reasons).toEqual(a.record.metadata?.reasons ?? []);
    }
  });

  it('explain reads the same audit line', async () => {
    const denied = withInput().find((a) => a.record.event === 'permission_denied')!;
    const file = path.join(hub.dir, 'denied.json');
    writeFileSync(file, denied.text);
    const r = await runHatago(['policy', 'explain', '--input', file, '--dir', packagePath('policies', 'rego')], { cwd: hub.dir });
    expect(r.code).toBe(2);
    expect(r.output).toContain('rbac.missing_permission');
    expect(r.output).not.toContain('unknown_stage');
  });

  it('diff replays exactly the lines eval accepts', async () => {
    const r = await runHatago(['policy', 'diff', '--candidate', packagePath('policies', 'bundle', 'hatago.tar.gz'), '--replay', 'logs/audit.log', '--format', 'json'], { cwd: hub.dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.output) as { summary: { replayed: number; skippedLines: number } };
    expect(out.summary).toMatchObject({ replayed: withInput().length, skippedLines: audit.length - withInput().length });
  });

  it('eval refuses a whole log (several inputs) and says which command takes one', async () => {
    const r = await runHatago(['policy', 'eval', '--input', 'logs/audit.log'], { cwd: hub.dir });
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(
      `hatago: input file logs/audit.log holds ${withInput().length} decision inputs: eval and explain take one (copy one line, e.g. sed -n 5p), diff --replay takes a whole log [ERR_POLICY_INPUT_INVALID]`,
    );
  });

  it('an audit line without an input is refused with what eval takes', async () => {
    // A real record with its input taken out, as other audit events are.
    const { metadata, ...rest } = withInput()[0]!.record;
    const file = path.join(hub.dir, 'other.json');
    writeFileSync(file, JSON.stringify({ ...rest, metadata: { ...metadata, input: undefined } }));
    const r = await runHatago(['policy', 'eval', '--input', file], { cwd: hub.dir });
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(
      `hatago: input file ${file} holds no decision input: expected a policy input (with "stage"), a decision-log line ("input") or an audit record ("metadata.input") [ERR_POLICY_INPUT_INVALID]`,
    );
  });
});

describe("the README's policy commands", () => {
  const readme = readFileSync(packagePath('README.md'), 'utf8');
  const block = /```bash\n(npm run opa:install[\s\S]*?)```/.exec(readme)![1]!;
  // The npm scripts act on the checkout; the `npx hatago` lines and the shell lines between them run in a hub's folder.
  const commands = block.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm run'));

  it('run as printed, in the folder of a hub run with the default config', async () => {
    expect(commands.some((c) => c.includes('--replay logs/audit.log'))).toBe(true);
    const outputs: string[] = [];
    for (const line of commands) {
      const shell = line.replace(/^npx hatago /, `${JSON.stringify(process.execPath)} ${JSON.stringify(HATAGO_BIN)} `);
      const proc = spawnProcess('bash', ['-c', shell], { cwd: hub.dir });
      const code = await proc.waitForExit(60000);
      outputs.push(proc.output());
      // eval: 0 allow / 2 deny; diff: 2 = the candidate changes decisions. Never 1 (an error).
      expect({ line, code: code === 2 ? 0 : code, output: code === 1 ? proc.output() : '' }).toEqual({ line, code: 0, output: '' });
    }
    const diff = outputs[commands.findIndex((c) => c.includes('policy diff'))]!;
    // The call the candidate denies; the tools/list it changes too is replayed without its candidates
    // (an audit record keeps their digest, docs/audit.md#list-decisions), so it shows no change from the audit log.
    expect(diff).toMatch(new RegExp(`^${withInput().length} decisions replayed, 1 changed \\(1 allow->deny, 0 deny->allow, 0 other\\)`, 'm'));
  });
});
