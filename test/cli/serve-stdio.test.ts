// `hatago serve --stdio` as a real process driven by the real SDK stdio
// client, as the guide's MCP client configuration runs it (HATAGO_AUTH_TOKEN).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { HATAGO_BIN, fixtureStdio, runHatago, writeConfig } from '../helpers/hub-process.js';
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
