// `hatago serve --stdio` as a real process driven by the real SDK stdio
// client, as the guide's MCP client configuration runs it (HATAGO_AUTH_TOKEN).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { HATAGO_BIN, fixtureStdio, runHatago, writeConfig } from '../helpers/hub-process.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();
import { hs256Token } from '../helpers/tokens.js';

const SECRET = 'stdio-secret-0123456789-0123456789-0123456789';
const token = (roles: string[]) => hs256Token(SECRET, { sub: 'stdio-user', roles });

const { dir, file } = writeConfig({
  mcpServers: { fx: fixtureStdio() },
  logging: { file: false },
  security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, authorization: { enabled: true, defaultRole: 'readonly' } },
});

async function connect(env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [HATAGO_BIN, 'serve', '--stdio', '--config', file], cwd: dir, env, stderr: 'ignore' }));
  return client;
}

describe('hatago serve --stdio', () => {
  it('serves the hub to the token holder, with the policy deciding by their roles', async () => {
    const user = await connect({ HATAGO_AUTH_TOKEN: await token(['user']) });
    try {
      expect((await user.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      const r = (await user.callTool({ name: 'fx_echo', arguments: { text: 'over stdio' } })) as { content: { text: string }[] };
      expect(r.content[0]?.text).toBe('over stdio');
    } finally {
      await user.close();
    }
    const readonly = await connect({ HATAGO_AUTH_TOKEN: await token(['readonly']) });
    try {
      await expect(readonly.callTool({ name: 'fx_echo', arguments: { text: 'no' } })).rejects.toMatchObject({ code: -32003 });
    } finally {
      await readonly.close();
    }
  });

  it('refuses to start without a token when authentication is enabled', async () => {
    const { code, output } = await runHatago(['serve', '--stdio', '--config', file], { cwd: dir, env: { HATAGO_AUTH_TOKEN: '' } });
    expect(code).toBe(1);
    expect(output).toContain('hatago: Authentication is enabled: set HATAGO_AUTH_TOKEN for stdio serving [ERR_UNAUTHENTICATED]');
  });
});

describe('hatago serve --stdio validates every message, as over HTTP', () => {
  const raw = writeConfig({ mcpServers: { fx: fixtureStdio() }, logging: { file: false }, security: { authorization: { enabled: true, defaultRole: 'user' } } });

  it('answers malformed requests with stable codes and keeps serving', async () => {
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--stdio', '--config', raw.file], { cwd: raw.dir, stdin: true });
    try {
      const replies = new Map<unknown, { error?: { code: number; data?: { code?: string } }; result?: unknown }>();
      const nullAnswers: { error?: { data?: { code?: string } } }[] = [];
      const waiting = new Set<() => void>();
      let buffer = '';
      proc.child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const m = JSON.parse(line) as { id?: unknown; error?: { data?: { code?: string } } };
          if (m.id === null) nullAnswers.push(m);
          else if (m.id !== undefined) replies.set(m.id, m as never);
          for (const w of waiting) w();
        }
      });
      const write = (m: unknown) => proc.child.stdin!.write(`${typeof m === 'string' ? m : JSON.stringify(m)}\n`);
      // Waits for the answer itself (the jest timeout is the only limit): no fixed deadline on a busy machine.
      const reply = (id: unknown) =>
        new Promise<ReturnType<typeof replies.get>>((resolve) => {
          const check = () => {
            if (!replies.has(id)) return;
            waiting.delete(check);
            resolve(replies.get(id));
          };
          waiting.add(check);
          check();
        });

      await proc.waitForLine(/serving MCP over stdio/, 30000); // start-up (config checks, policy load) done
      write({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      expect((await reply(1))?.result).toBeDefined();
      write({ jsonrpc: '2.0', method: 'notifications/initialized' });

      write({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 42 } });
      expect(await reply(2)).toMatchObject({ error: { code: -32602, data: { code: 'ERR_MALFORMED_PARAMS' } } });

      write({ jsonrpc: '2.0', id: 3, method: 'ping', extra: true });
      expect(await reply(3)).toMatchObject({ error: { code: -32600, data: { code: 'ERR_INVALID_REQUEST' } } });

      // Limits checked after parsing answer with the request's id...
      write({ jsonrpc: '2.0', id: 4, method: 'ping', params: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])) });
      expect(await reply(4)).toMatchObject({ error: { code: -32600, data: { code: 'ERR_LIMIT_EXCEEDED' } } });

      // ...lines refused before parsing (not JSON, too deep) with id null.

      write('{ this is not json');
      write('{"jsonrpc":"2.0","id":6,"method":"ping","params":{"deep":' + '['.repeat(200) + ']'.repeat(200) + '}}');
      const nullIdAnswers = (n: number) =>
        new Promise<(string | undefined)[]>((resolve) => {
          const check = () => {
            if (nullAnswers.length < n) return;
            waiting.delete(check);
            resolve(nullAnswers.map((a) => a.error?.data?.code));
          };
          waiting.add(check);
          check();
        });
      expect(await nullIdAnswers(2)).toEqual(['ERR_PARSE', 'ERR_LIMIT_EXCEEDED']);

      write({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'fx_echo', arguments: { text: 'still here' } } });
      expect(JSON.stringify((await reply(5))?.result)).toContain('still here');
    } finally {
      await proc.kill();
    }
  });
});

describe('hatago serve --stdio speaks 2025-11-25 only', () => {
  const only = writeConfig({ mcpServers: { fx: fixtureStdio() }, logging: { file: false }, security: { authorization: { enabled: true, defaultRole: 'user' } } });

  it('its server/discover lists no 2026-07-28, so an auto-negotiating client falls back to initialize', async () => {
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--stdio', '--config', only.file], { cwd: only.dir, stdin: true });
    try {
      let buffer = '';
      const answer = new Promise<{ id?: unknown; result?: { supportedVersions?: string[] } }>((resolve) => {
        proc.child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          const nl = buffer.indexOf('\n');
          if (nl >= 0) resolve(JSON.parse(buffer.slice(0, nl)) as never);
        });
      });
      await proc.waitForLine(/serving MCP over stdio/, 30000);
      // As the Python SDK's mode "auto" probes: a discover stamped with the modern revision.
      proc.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } })}\n`);
      const reply = await answer;
      expect(reply.id).toBe(1);
      expect(reply.result?.supportedVersions).toContain('2025-11-25');
      expect(reply.result?.supportedVersions).not.toContain('2026-07-28');
    } finally {
      await proc.kill();
    }
  });
});
