// RBAC, argument rules and the custom extension point, decided by the shipped
// Rego bundle inside the real hub process, seen through the real SDK client.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'authz-secret-0123456789-0123456789-0123456789';
let hub: HubProcess;

function token(sub: string, claims: Record<string, unknown>): Promise<string> {
  return hs256Token(SECRET, { sub, ...claims });
}

async function clientFor(claims: Record<string, unknown>): Promise<Client> {
  const client = new Client({ name: 'authz', version: '1.0.0' });
  const headers = { authorization: `Bearer ${await token(String(claims.sub ?? 'u'), claims)}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers } }));
  return client;
}

async function toolNames(claims: Record<string, unknown>): Promise<string[]> {
  const client = await clientFor(claims);
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

/** Opens a session with raw HTTP and calls a tool; returns the HTTP answer. */
async function rawCall(claims: Record<string, unknown>, name: string, args: Record<string, unknown>) {
  const headers = { authorization: `Bearer ${await token(String(claims.sub ?? 'u'), claims)}` };
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers });
  const sid = String(init.headers['mcp-session-id']);
  return rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } }, headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
}

beforeAll(async () => {
  hub = await startHubProcess(
    {
      mcpServers: { filesystem: fixtureStdio(), other: fixtureStdio() },
      security: {
        authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
        authorization: {
          enabled: true,
          defaultRole: 'readonly',
          roles: {
            admin: { permissions: ['mcp:*:*', 'admin:*:*', 'server:*:*'] },
            user: { permissions: ['mcp:tools:call', 'mcp:resources:read', 'mcp:prompts:generate'] },
            readonly: { permissions: ['mcp:tools:list', 'mcp:resources:list', 'mcp:prompts:list'] },
            fsonly: { permissions: ['server:filesystem:*'] },
            echoer: { permissions: ['server:other:tools:call:echo'] },
          },
        },
      },
    },
  );
});

describe("each role's view of tools/list", () => {
  it('admin, user and readonly see every tool', async () => {
    const all = await toolNames({ sub: 'a', roles: ['admin'] });
    expect(all).toEqual(expect.arrayContaining(['filesystem_echo', 'filesystem_read_file', 'other_echo']));
    expect(await toolNames({ sub: 'u', roles: ['user'] })).toEqual(all);
    expect(await toolNames({ sub: 'r', roles: ['readonly'] })).toEqual(all);
  });

  it('a server-scoped role sees that server only; a per-tool grant sees that tool only', async () => {
    const fs = await toolNames({ sub: 'f', roles: ['fsonly'] });
    expect(fs.length).toBeGreaterThan(0);
    expect(fs.every((n) => n.startsWith('filesystem_'))).toBe(true);
    expect(await toolNames({ sub: 'e', roles: ['echoer'] })).toEqual(['other_echo']);
  });

  it('the token permissions claim narrows the view', async () => {
    expect(await toolNames({ sub: 'n', roles: ['admin'], permissions: ['server:other:tools:call:echo'] })).toEqual(['other_echo']);
  });
});

describe('calls', () => {
  it('user may call tools on every server', async () => {
    const client = await clientFor({ sub: 'u', roles: ['user'] });
    try {
      const r = (await client.callTool({ name: 'other_echo', arguments: { text: 'ok' } })) as { content: { text: string }[] };
      expect(r.content[0]?.text).toBe('ok');
    } finally {
      await client.close();
    }
  });

  it('readonly is denied with 403, a stable code and a decision id that is in the log', async () => {
    const res = await rawCall({ sub: 'r', roles: ['readonly'] }, 'other_echo', { text: 'no' });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe(-32003);
    expect(res.json.error.data.code).toBe('ERR_PERMISSION_DENIED');
    expect(res.json.error.message).toBe('Forbidden: permission denied by policy');
    const decisionId = res.json.error.data.decisionId as string;
    expect(decisionId).toMatch(/^[0-9a-f-]{36}$/);
    const logFile = path.join(hub.dir, 'logs', 'hatago.log');
    let line: string | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes(decisionId)) : undefined;
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    expect(JSON.parse(line!)).toMatchObject({ decisionId, code: 'ERR_PERMISSION_DENIED', reasons: [expect.objectContaining({ rule: 'rbac.missing_permission' })] });
  });

  it('a server-scoped role is denied on another server', async () => {
    const res = await rawCall({ sub: 'f', roles: ['fsonly'] }, 'other_echo', { text: 'no' });
    expect(res.status).toBe(403);
    expect(res.json.error.data.code).toBe('ERR_PERMISSION_DENIED');
  });

  it('an unknown tool is denied for a caller who may not call it, not reported as unknown', async () => {
    const res = await rawCall({ sub: 'r', roles: ['readonly'] }, 'secret_tool', {});
    expect(res.status).toBe(403);
  });
});

describe('argument rules: analyst may read filesystem files only under /data/public', () => {
  it('allows /data/public and denies elsewhere, including .. and prefix tricks', async () => {
    const ok = await rawCall({ sub: 'an', roles: ['analyst'] }, 'filesystem_read_file', { path: '/data/public/report.csv' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('read /data/public/report.csv');
    for (const p of ['/etc/passwd', '/data/public/../secret.txt', '/data/public-evil/x']) {
      const denied = await rawCall({ sub: 'an', roles: ['analyst'] }, 'filesystem_read_file', { path: p });
      expect({ p, status: denied.status, code: denied.json?.error?.data?.code }).toEqual({ p, status: 403, code: 'ERR_PERMISSION_DENIED' });
    }
  });
});

describe('custom rule: allowedServers', () => {
  it('limits a user to the servers in the token', async () => {
    const names = await toolNames({ sub: 'c', roles: ['user'], allowedServers: ['other'] });
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('other_'))).toBe(true);
    const denied = await rawCall({ sub: 'c', roles: ['user'], allowedServers: ['other'] }, 'filesystem_echo', { text: 'x' });
    expect(denied.status).toBe(403);
  });
});
