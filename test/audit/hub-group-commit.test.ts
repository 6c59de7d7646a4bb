// Group commit in the real hub (`hatago serve`): concurrent calls share
// fdatasyncs (the hub's own counters say so), a hub killed (SIGKILL) under
// load leaves a trail that verifies and holds the record of every request
// it answered, and a list decision's record keeps its candidates as a digest.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../src/audit/record.js';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords, bearer, openSession, rpc, type McpSession } from './helpers.js';

useProcessCleanup();

const SECRET = 'audit-group-commit-secret-0123456789-abcdef!!';

const config = {
  mcpServers: { fx: fixtureStdio() },
  security: {
    authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
    authorization: { enabled: true },
    rateLimit: { enabled: true, rules: [{ name: 'global', windowMs: 60000, max: 1000000, keyGenerator: 'ip' }] },
    // Candidates without definition facts, so the test can rebuild the list the policy saw.
    pinning: { enabled: false },
  },
};

const hubs: HubProcess[] = [];
afterAll(async () => {
  for (const h of hubs) {
    await h.proc.kill();
    rmSync(h.dir, { recursive: true, force: true });
  }
});

async function hub(): Promise<HubProcess> {
  const h = await startHubProcess(config);
  hubs.push(h);
  return h;
}

const echoed = (r: { status: number; text: string }, text: string): boolean => {
  if (r.status !== 200) return false;
  const m = rpc(r as Parameters<typeof rpc>[0]) as { result?: { content?: { text?: string }[] } };
  return m.result?.content?.[0]?.text === text;
};

async function metric(h: HubProcess, name: string): Promise<number> {
  const res = await rawRequest(`${h.url}/metrics`, { method: 'GET', headers: { authorization: await bearer(SECRET, 'scraper', ['admin']) } });
  expect(res.status).toBe(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in /metrics`);
  return Number(line.split(' ')[1]);
}

describe('group commit in hatago serve', () => {
  it('concurrent calls share their writes: fewer groups than records, and every answered call has its record', async () => {
    const h = await hub();
    const sessions = await Promise.all(Array.from({ length: 4 }, async (_, i) => openSession(h, { authorization: await bearer(SECRET, `user-${i}`, ['user']) })));
    const recordsBefore = await metric(h, 'hatago_audit_records_total');
    const groupsBefore = await metric(h, 'hatago_audit_groups_total');
    // 64 calls in flight at once, 16 per session.
    const texts = Array.from({ length: 64 }, (_, i) => `concurrent-${i}`);
    const answers = await Promise.all(texts.map((t, i) => sessions[i % 4]!.call('fx_echo', { text: t })));
    answers.forEach((a, i) => expect(echoed(a, texts[i]!)).toBe(true));
    const records = (await metric(h, 'hatago_audit_records_total')) - recordsBefore;
    const groups = (await metric(h, 'hatago_audit_groups_total')) - groupsBefore;
    // The first scrape's own decision record is among them; each call wrote one record.
    expect(records).toBeGreaterThanOrEqual(64);
    expect(groups).toBeGreaterThan(0);
    expect(groups).toBeLessThan(records);
    const recorded = new Set(auditRecords(h).filter((r) => r.event === 'permission_granted').map((r) => r.metadata.input?.request?.arguments?.text));
    for (const t of texts) expect(recorded.has(t)).toBe(true);
  });

  it('a hub killed (SIGKILL) under load: the trail verifies and holds the record of every request it answered', async () => {
    const h = await hub();
    const sessions: McpSession[] = await Promise.all(Array.from({ length: 6 }, async (_, i) => openSession(h, { authorization: await bearer(SECRET, `load-${i}`, ['user']) })));
    const answered: string[] = [];
    let killed = false;
    let reachedLoad!: () => void;
    const loaded = new Promise<void>((r) => (reachedLoad = r));
    // Each client calls in a loop with a unique text per call until the hub is gone.
    const clients = sessions.map(async (s, c) => {
      for (let n = 0; !killed; n++) {
        const text = `crash-${c}-${n}`;
        try {
          const r = await s.call('fx_echo', { text });
          if (echoed(r, text)) answered.push(text);
          if (answered.length >= 120) reachedLoad();
        } catch {
          return; // connection refused or reset: the hub is gone
        }
      }
    });
    await loaded;
    killed = true;
    await h.proc.kill('SIGKILL'); // while calls are in flight
    await Promise.all(clients);
    const file = path.join(h.dir, 'logs', 'audit.log');
    const verify = await runHatago(['audit', 'verify', '--file', file]);
    expect(verify.output).toMatch(/^ok: \d+ records/m);
    expect(verify.code).toBe(0);
    const recorded = new Set(auditRecords(h).filter((r) => r.event === 'permission_granted').map((r) => r.metadata.input?.request?.arguments?.text));
    expect(answered.length).toBeGreaterThanOrEqual(120);
    const missing = answered.filter((t) => !recorded.has(t));
    expect(missing).toEqual([]);
  });

  it("a tools/list decision's record holds the candidates' count and digest and the names shown, not the list", async () => {
    const h = await hub();
    const s = await openSession(h, { authorization: await bearer(SECRET, 'lister', ['user']) });
    const res = await s.request('tools/list');
    expect(res.status).toBe(200);
    const tools = (rpc(res).result as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(tools.length).toBeGreaterThan(3);
    const rec = auditRecords(h).filter((r) => r.event === 'permission_granted' && r.metadata.method === 'tools/list').at(-1)!;
    expect(rec.metadata.input).not.toHaveProperty('candidates');
    expect(rec.metadata.input.request.method).toBe('tools/list');
    expect(rec.metadata.visible).toEqual(tools);
    // The user role sees every tool, so the candidates are the tools shown, in the catalogue's order.
    const candidates = tools.map((exposed) => ({ server: 'fx', kind: 'tool', name: exposed.slice('fx_'.length), exposed }));
    expect(rec.metadata.candidates).toEqual({ count: tools.length, digest: `sha256:${createHash('sha256').update(canonicalJson(candidates)).digest('hex')}` });
  });
});
