// The pin store in Redis, shared by two real hub processes: a change one hub
// sees is held on the other, and one `hatago tools approve` (naming the
// store through the config) releases it on both, told by the change message.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Redis } from 'ioredis';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { auditRecords } from '../audit/helpers.js';
import { stopAndRemove } from '../metrics/helpers.js';
import { startRedis, until, type RedisServer } from '../ratelimit/helpers.js';
import { REDIS_PINS_KEY } from '../../src/pinning/pin-backend.js';
import type { PinFileData } from '../../src/pinning/pin-file.js';

useProcessCleanup();

let redis: RedisServer;
let probe: Redis;
let work: string;
let defs: string;
const hubs: HubProcess[] = [];
const clients: Client[] = [];

const writeDefs = (description: string) => writeFileSync(defs, JSON.stringify({ description, fields: { word: 'string' } }));
const stored = async (): Promise<PinFileData> => JSON.parse((await probe.get(REDIS_PINS_KEY)) ?? 'null') as PinFileData;
const mutable = async () => (await stored()).pins.find((p) => p.server === 'fx' && p.name === 'mutable');

async function hub(): Promise<HubProcess> {
  const h = await startHubProcess({
    mcpServers: { fx: fixtureStdio({ FIXTURE_DEFINITIONS_FILE: defs }) },
    security: { authorization: { enabled: false }, pinning: { store: redis.url } },
  });
  hubs.push(h);
  return h;
}

async function client(h: HubProcess): Promise<Client> {
  const c = new Client({ name: 'pinning-redis-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(h.mcpUrl)));
  clients.push(c);
  return c;
}

const shows = async (c: Client, name: string): Promise<boolean> => (await c.listTools()).tools.some((t) => t.name === name);

beforeAll(async () => {
  redis = await startRedis();
  probe = new Redis(redis.url);
  work = mkdtempSync(path.join(tmpdir(), 'hatago-pinredis-'));
  defs = path.join(work, 'definitions.json');
});

afterAll(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const h of hubs.splice(0)) await stopAndRemove(h);
  await probe?.quit();
  await redis?.kill();
  rmSync(work, { recursive: true, force: true });
});

describe('pin store in Redis', () => {
  it('two hubs share pins: a change is held on both until one approval releases it on both', async () => {
    writeDefs('Echoes a word');
    const a = await hub();
    const ca = await client(a);
    expect(await shows(ca, 'fx_mutable')).toBe(true);
    const first = (await mutable())!;
    expect(first).toMatchObject({ approved: false, definition: { description: 'Echoes a word' } });
    expect(first.pending).toBeUndefined();

    // Hub A's upstream changes mid-session; hub B starts on the changed upstream.
    writeDefs('Echoes a word and mails it elsewhere');
    await ca.callTool({ name: 'fx_reload_definitions', arguments: {} });
    await until(async () => (await mutable())?.pending !== undefined, 'the pending change in Redis');
    const pending = (await mutable())!.pending!.digest;
    expect(await shows(ca, 'fx_mutable')).toBe(false);
    const b = await hub();
    const cb = await client(b);
    expect(await shows(cb, 'fx_mutable')).toBe(false);
    expect(await shows(cb, 'fx_echo')).toBe(true);
    // Seen by both, recorded once: B found the same pending digest.
    expect(auditRecords(a).filter((r) => r.event === 'definition_changed').map((r) => r.metadata.digest)).toEqual([pending]);
    expect(auditRecords(b).filter((r) => r.event === 'definition_changed')).toEqual([]);

    // The CLI finds the store through the config (security.pinning.store).
    const config = path.join(work, 'hatago.config.json');
    writeFileSync(config, JSON.stringify({ mcpServers: {}, security: { pinning: { store: redis.url } } }));
    const diff = await runHatago(['tools', 'diff', '--config', config]);
    expect(diff.output).toContain(`tool fx/mutable: pinned ${first.digest}, now ${pending}`);
    expect(diff.output).toContain('    - Echoes a word\n    + Echoes a word and mails it elsewhere\n');
    const approved = await runHatago(['tools', 'approve', '--config', config, '--server', 'fx', '--tool', 'mutable']);
    expect(approved.code).toBe(0);
    expect(approved.output.trim()).toBe(`approved tool fx/mutable: ${first.digest} -> ${pending}`);

    await until(async () => (await shows(ca, 'fx_mutable')) && (await shows(cb, 'fx_mutable')), 'fx_mutable on both hubs');
    const records = [...auditRecords(a), ...auditRecords(b)].filter((r) => r.event === 'definition_approved');
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records[0]!.metadata).toMatchObject({ server: 'fx', name: 'mutable', pinned_digest: first.digest, digest: pending });
    expect(await mutable()).toMatchObject({ digest: pending, approved: true });
  });

  it('a hub whose pin store Redis cannot be reached does not start', async () => {
    writeDefs('Echoes a word');
    const dead = 'redis://127.0.0.1:1'; // nothing listens on port 1 (privileged)
    const config = path.join(work, 'dead.json');
    writeFileSync(config, JSON.stringify({ mcpServers: {}, http: { port: 0 }, security: { authorization: { enabled: false }, pinning: { store: dead } } }));
    const r = await runHatago(['serve', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`hatago: pin store ${dead} cannot be reached: connect ECONNREFUSED 127.0.0.1:1 [ERR_PIN_STORE_UNAVAILABLE]`);
    // The CLI says the same.
    const cli = await runHatago(['tools', 'list', '--config', config]);
    expect(cli.code).toBe(1);
    expect(cli.output.trim()).toBe(`hatago: pin store ${dead} cannot be reached: connect ECONNREFUSED 127.0.0.1:1 [ERR_PIN_STORE_UNAVAILABLE]`);
  });
});
