// Argument rules cover by pattern what a role's grant covers: the shipped
// analyst grant is server:filesystem:tools:call:read_*, so every read_* tool
// of server filesystem is held to /data/public, named in the rule or not.
// Real hub process, real JWTs, the raw-stdio fixture as server "filesystem".
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';
import { MISBEHAVING } from './support.js';

useProcessCleanup();

const SECRET = 'argument-rules-secret-0123456789-0123456789';
let hub: HubProcess;
let eventsDir: string;
let eventsFile: string;

beforeAll(async () => {
  eventsDir = mkdtempSync(path.join(tmpdir(), 'hatago-argument-rules-'));
  eventsFile = path.join(eventsDir, 'events.jsonl');
  hub = await startHubProcess({
    mcpServers: { filesystem: { command: process.execPath, args: [MISBEHAVING], env: { FIXTURE_EVENTS_FILE: eventsFile } } },
    security: {
      authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
      // The shipped roles and argument rules (no operator overrides).
      authorization: { enabled: true, defaultRole: 'readonly' },
    },
  });
});

afterAll(async () => {
  await hub.stop();
  rmSync(eventsDir, { recursive: true, force: true });
  rmSync(hub.dir, { recursive: true, force: true });
});

function pathsReceived(tool: string): unknown[] {
  if (!existsSync(eventsFile)) return [];
  return readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { tool?: string; arguments?: { path?: unknown } })
    .filter((e) => e.tool === tool)
    .map((e) => e.arguments?.path);
}

async function call(roles: string[], name: string, args: Record<string, unknown>) {
  const headers = { authorization: `Bearer ${await hs256Token(SECRET, { sub: 'an', roles })}` };
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers });
  const sid = String(init.headers['mcp-session-id']);
  return rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } },
    headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
  });
}

describe('analyst argument rules cover every read_* tool the grant allows', () => {
  it('read_any (granted by read_*, named by no rule before) outside /data/public: 403 ERR_PERMISSION_DENIED, never forwarded', async () => {
    const denied = await call(['analyst'], 'filesystem_read_any', { path: '/etc/passwd' });
    expect(denied.status).toBe(403);
    expect(denied.json?.error?.message).toBe('Forbidden: permission denied by policy');
    expect(denied.json?.error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    expect(pathsReceived('read_any')).toEqual([]);
  });

  it('read_any under /data/public is forwarded', async () => {
    const ok = await call(['analyst'], 'filesystem_read_any', { path: '/data/public/report.csv' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('/data/public/report.csv');
    expect(pathsReceived('read_any')).toEqual(['/data/public/report.csv']);
  });

  it('a read_* tool called without the path argument is refused, not waved through', async () => {
    const denied = await call(['analyst'], 'filesystem_read_any', { file: '/etc/passwd' });
    expect(denied.status).toBe(403);
    expect(denied.json?.error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    expect(pathsReceived('read_any')).toEqual(['/data/public/report.csv']);
  });

  it('read_file keeps its rule', async () => {
    expect((await call(['analyst'], 'filesystem_read_file', { path: '/data/public/a' })).status).toBe(200);
    const denied = await call(['analyst'], 'filesystem_read_file', { path: '/etc/passwd' });
    expect(denied.status).toBe(403);
    expect(denied.json?.error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    expect(pathsReceived('read_file')).toEqual(['/data/public/a']);
  });
});
