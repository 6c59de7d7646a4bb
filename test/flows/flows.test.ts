// Session flow rules end to end: labels from the operator's config, the
// shipped rule (a public_write after a private_read needs approval), a deny
// rule, history per 2025-11-25 session and per principal for stateless
// 2026-07-28 requests, with real SDK clients of both revisions.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords, bearer, openSession, rpc } from '../audit/helpers.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();

const SECRET = 'flows-test-secret-0123456789abcdef0123';
const LABELS = { 'fx:read_file': ['private_read'], 'fx:write_file': ['public_write'] };
const hubs: HubProcess[] = [];
const closers: (() => Promise<void>)[] = [];

async function hub(flows: Record<string, unknown>): Promise<HubProcess> {
  const h = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, flows: { labels: LABELS, ...flows } },
  });
  hubs.push(h);
  return h;
}

async function legacy(h: HubProcess, sub: string, onElicit?: (req: ElicitRequest) => Record<string, unknown>): Promise<Client> {
  const c = new Client({ name: 'flows-test', version: '1.0.0' }, { capabilities: onElicit ? { elicitation: {} } : {} });
  if (onElicit) c.setRequestHandler(ElicitRequestSchema, async (req) => onElicit(req) as never);
  await c.connect(new StreamableHTTPClientTransport(new URL(h.mcpUrl), { requestInit: { headers: { Authorization: await bearer(SECRET, sub, ['user']) } } }));
  closers.push(() => c.close());
  return c;
}

async function modern(h: HubProcess, sub: string): Promise<ModernClient> {
  const c = new ModernClient({ name: 'flows-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await c.connect(new ModernTransport(new URL(h.mcpUrl), { requestInit: { headers: { Authorization: await bearer(SECRET, sub, ['user']) } } }));
  closers.push(() => c.close());
  return c;
}

type CallErr = { code: number; message: string; data?: { code?: string; decisionId?: string } };
const outcome = (p: Promise<unknown>): Promise<unknown> => p.then((r) => (r as { content: { text: string }[] }).content[0]!.text, (e: unknown) => e as CallErr);

afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
  for (const h of hubs.splice(0)) await stopAndRemove(h);
});

describe('flow rules', () => {
  test('after a private_read, a public_write in the same session is held for approval; another session is not', async () => {
    const h = await hub({});
    const asked: string[] = [];
    const a = await legacy(h, 'u-1', (req) => {
      asked.push(req.params.message);
      return { action: 'decline' };
    });
    expect(await outcome(a.callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'hello' } }))).toBe('wrote /pub');
    expect(await outcome(a.callTool({ name: 'fx_read_file', arguments: { path: '/secret' } }))).toBe('read /secret');
    const held = (await outcome(a.callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'the secret' } }))) as CallErr;
    expect(held).toMatchObject({ code: -32003, data: { code: 'ERR_APPROVAL_DENIED' } });
    expect(asked).toEqual(['Approve fx_write_file on fx? a public_write after a private_read in this session may leak private data']);

    // The decision saw what the session did: both earlier calls, with their labels.
    const requested = auditRecords(h).find((r) => r.event === 'approval_requested')!;
    expect(requested.metadata.input.session).toEqual({
      history: [
        { server: 'fx', tool: 'write_file', labels: ['public_write'], at_ns: expect.any(Number) },
        { server: 'fx', tool: 'read_file', labels: ['private_read'], at_ns: expect.any(Number) },
      ],
      labels: ['private_read', 'public_write'],
    });
    expect(requested.metadata.approval.rules).toEqual(['flows.private-read-then-public-write']);

    // The same user in another session starts with an empty history.
    const b = await legacy(h, 'u-1');
    expect(await outcome(b.callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'fine' } }))).toBe('wrote /pub');
  });

  test('a deny rule, a history of two: a taint is remembered after its entry is pushed out', async () => {
    const rules = [{ id: 'no-leak', after: 'private_read', then: 'public_write', outcome: 'deny', reason: 'no public writes after private reads' }];
    const h = await hub({ rules, historySize: 2 });
    const s = await openSession(h, { authorization: await bearer(SECRET, 'u-2', ['user']) });
    expect(rpc(await s.call('fx_read_file', { path: '/secret' })).result).toMatchObject({ content: [{ text: 'read /secret' }] });
    for (const word of ['one', 'two', 'three']) expect(rpc(await s.call('fx_echo', { text: word })).result).toMatchObject({ content: [{ text: word }] });
    const denied = await s.call('fx_write_file', { path: '/pub', content: 'x' });
    expect(denied.status).toBe(403);
    const error = rpc(denied).error as CallErr;
    expect(error).toMatchObject({ code: -32003, message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED' } });
    const rec = auditRecords(h).find((r) => r.event === 'permission_denied' && r.decisionId === error.data?.decisionId)!;
    expect(rec.metadata.reasons).toEqual([{ rule: 'flows.no-leak', message: 'no public writes after private reads' }]);
    expect(rec.metadata.input.session.history.map((e: { tool: string }) => e.tool)).toEqual(['echo', 'echo']);
    expect(rec.metadata.input.session.labels).toEqual(['private_read']);
  });

  test('stateless 2026-07-28 requests: the history is the principal\'s, across requests', async () => {
    const rules = [{ id: 'no-leak', after: 'private_read', then: 'public_write', outcome: 'deny' }];
    const h = await hub({ rules });
    const first = await modern(h, 'u-3');
    expect(await outcome(first.callTool({ name: 'fx_read_file', arguments: { path: '/secret' } }))).toBe('read /secret');
    // A new client of the same principal (no session ties the two): still tainted.
    const second = await modern(h, 'u-3');
    const denied = (await outcome(second.callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'x' } }))) as CallErr;
    expect(JSON.stringify(denied)).toContain('ERR_PERMISSION_DENIED');
    const rec = auditRecords(h).find((r) => r.event === 'permission_denied' && r.metadata.method === 'tools/call')!;
    expect(rec.user).toBe('u-3');
    expect(rec.metadata.reasons).toEqual([{ rule: 'flows.no-leak', message: 'a public_write call after a private_read in this session' }]);
    // Another principal is not.
    const other = await modern(h, 'u-4');
    expect(await outcome(other.callTool({ name: 'fx_write_file', arguments: { path: '/pub', content: 'x' } }))).toBe('wrote /pub');
  });
});
