// `hatago serve` as a real process: the bundle file is replaced 50 times
// (in place and renamed over) while SDK clients send requests without pause.
// No request may fail, and every decision must come from one policy or the
// other, never a mix.
//
// The two policies are hatago's own Rego with two data.json files (a
// data-only change, as a security team ships role changes): role `tester`
// may call fx echo+add under A and fx echo+read_file under B, so tools/list
// shows exactly {fx_echo, fx_add} or exactly {fx_echo, fx_read_file}.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureStdio, startHubProcess, type HubProcess } from '../../helpers/hub-process.js';
import { useProcessCleanup } from '../../helpers/processes.js';
import { readBundle } from '../../../src/policy/index.js';
import { buildBundle, repoRoot, tempDir } from '../helpers.js';

useProcessCleanup();

const RELOADS = 50;
const CLIENTS = 4;
const tmp = tempDir('hatago-hot-reload-');
const policyA = ['fx_add', 'fx_echo'];
const policyB = ['fx_echo', 'fx_read_file'];

interface Built {
  bytes: Buffer;
  revision: string;
  tools: string[];
}
let A: Built;
let B: Built;
let hub: HubProcess;
let bundlePath: string;

function buildVariant(name: string, permissions: string[], tools: string[]): Built {
  const src = join(tmp.path, `src-${name}`);
  cpSync(join(repoRoot, 'policies', 'rego'), src, { recursive: true });
  const dataFile = join(src, 'data.json');
  const data = JSON.parse(readFileSync(dataFile, 'utf8')) as { hatago: { roles: Record<string, unknown> } };
  // admin:status:read and admin:metrics:read: the test reads the active revision from /health/details and the reload counters from /metrics.
  data.hatago.roles.tester = { permissions: [...permissions, 'admin:status:read', 'admin:metrics:read'] };
  writeFileSync(dataFile, JSON.stringify(data, null, 2));
  const out = buildBundle(src, join(tmp.path, `${name}.tar.gz`));
  const bytes = readFileSync(out);
  return { bytes, revision: readBundle(bytes).manifest.revision, tools };
}

async function health(): Promise<{ policy: { revision: string; activatedAt: string; reloads: Record<string, number>; lastResult: string | null; source: string } }> {
  return (await (await fetch(`${hub.url}/health/details`)).json()) as never;
}

async function connect(): Promise<Client> {
  const client = new Client({ name: 'reload-e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  return client;
}

beforeAll(async () => {
  A = buildVariant('a', ['server:fx:tools:call:echo', 'server:fx:tools:call:add'], policyA);
  B = buildVariant('b', ['server:fx:tools:call:echo', 'server:fx:tools:call:read_file'], policyB);
  expect(A.revision).not.toBe(B.revision);
  const dir = join(tmp.path, 'live');
  mkdirSync(dir);
  bundlePath = join(dir, 'hatago.tar.gz');
  writeFileSync(bundlePath, A.bytes);
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    policies: { bundle: bundlePath, watch: { debounceMs: 20 } },
    security: { authorization: { enabled: true, defaultRole: 'tester' } },
  });
}, 120_000);

afterAll(async () => {
  await hub?.stop();
  tmp.cleanup();
});

describe('hot reload under load (real hub process)', () => {
  it('shows the active revision and when it was activated in /health/details', async () => {
    const h = await health();
    expect(h.policy).toMatchObject({ revision: A.revision, source: 'file' });
    expect(Number.isNaN(Date.parse(h.policy.activatedAt))).toBe(false);
  });

  it(`reloads ${RELOADS} times while clients send requests without pause: no failure, no mix`, async () => {
    let stop = false;
    const failures: string[] = [];
    const seen = { A: 0, B: 0, requests: 0 };
    const clients = await Promise.all(Array.from({ length: CLIENTS }, connect));

    const load = clients.map(async (client, i) => {
      while (!stop) {
        try {
          const names = (await client.listTools()).tools.map((t) => t.name).sort();
          const key = JSON.stringify(names);
          if (key === JSON.stringify(policyA)) seen.A++;
          else if (key === JSON.stringify(policyB)) seen.B++;
          else failures.push(`client ${i}: tools/list from neither policy: ${key}`);
          const echoed = await client.callTool({ name: 'fx_echo', arguments: { text: `c${i}` } });
          const text = (echoed as { content: { text?: string }[] }).content.map((c) => c.text ?? '').join('');
          if (text !== `c${i}`) failures.push(`client ${i}: echo answered ${text}`);
          seen.requests += 2;
        } catch (err) {
          failures.push(`client ${i}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });

    const checker = await connect();
    try {
      for (let i = 1; i <= RELOADS; i++) {
        const next = i % 2 === 1 ? B : A;
        if (i % 4 < 2) {
          writeFileSync(bundlePath, next.bytes); // in place
        } else {
          const staged = join(tmp.path, 'live', `.staged-${i}.tar.gz`);
          writeFileSync(staged, next.bytes);
          renameSync(staged, bundlePath); // renamed over
        }
        let h = await health();
        while (h.policy.revision !== next.revision) {
          await new Promise((r) => setTimeout(r, 5));
          h = await health();
        }
        // Once /health shows the new revision, every new request is decided by it.
        const names = (await checker.listTools()).tools.map((t) => t.name).sort();
        expect(names).toEqual(next.tools);
      }
    } finally {
      stop = true;
      await Promise.all(load);
      await Promise.all([...clients, checker].map((c) => c.close()));
    }

    expect(failures).toEqual([]);
    expect(seen.A + seen.B).toBeGreaterThan(RELOADS);
    const h = await health();
    expect(h.policy.reloads).toMatchObject({ activated: RELOADS, rejected: 0 });
    expect(h.policy.revision).toBe(A.revision);
  }, 300_000);

  it('keeps the active policy when a broken bundle is written, and says so in /health/details', async () => {
    const before = await health();
    writeFileSync(bundlePath, Buffer.from('not a bundle'));
    let h = await health();
    while (h.policy.lastResult !== 'rejected') {
      await new Promise((r) => setTimeout(r, 10));
      h = await health();
    }
    expect(h.policy.revision).toBe(before.policy.revision);
    expect(h.policy).toMatchObject({ lastError: { code: 'ERR_BUNDLE_INVALID' } });
    const client = await connect();
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(A.tools);
    } finally {
      await client.close();
    }
    await hub.proc.waitForLine(/policy bundle rejected; the active policy stays/);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toContain(`hatago_policy_reloads_total{result="activated"} ${RELOADS}`);
    expect(metrics).toContain('hatago_policy_reloads_total{result="rejected"} 1');
  });
});
