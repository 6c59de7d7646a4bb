// The guide's MCP client configuration, as written:
//   { "command": "npx", "args": ["@himorishige/hatago", "serve"], "env": { "HATAGO_AUTH_TOKEN": "..." } }
// run by the real SDK stdio client against `node dist/bin/hatago.js serve`
// (no --stdio): the hub must serve stdio, say so on stderr, and be gone
// once the client closes. A hub launched over pipes whose parent dies stops.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { rmSync } from 'node:fs';
import { HATAGO_BIN, fixtureStdio, writeConfig } from '../helpers/hub-process.js';
import { freePort, spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'client-launch-secret-0123456789-0123456789';
const { dir, file } = writeConfig({
  mcpServers: { fx: fixtureStdio() },
  logging: { file: false },
  security: { authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] }, authorization: { enabled: true, defaultRole: 'readonly' } },
});
const dirs = [dir];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves once `pid` is gone; rejects after `timeoutMs` (the hub must stop by itself). */
async function gone(pid: number, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still running`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hatago serve launched by an MCP client (the guide\'s client config)', () => {
  it('serves stdio without --stdio, says so on stderr, and exits after the client closes', async () => {
    const token = await hs256Token(SECRET, { sub: 'desktop-user', roles: ['user'] });
    // The guide's config (cwd holds hatago.config.json, as `npx` run from a project folder would find it).
    const transport = new StdioClientTransport({ command: process.execPath, args: [HATAGO_BIN, 'serve'], cwd: dir, env: { HATAGO_AUTH_TOKEN: token }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const client = new Client({ name: 'guide-client', version: '1.0.0' });
    await client.connect(transport);
    const pid = transport.pid!;
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      expect(stderr).toContain('hatago: serving MCP over stdio (stdin is a pipe and HATAGO_AUTH_TOKEN is set; pass --http to serve HTTP instead)');
      expect(stderr).not.toContain('hatago listening on');
    } finally {
      await client.close();
    }
    await gone(pid);
  });

  it('--http overrides; a hub launched over pipes stops when its parent exits', async () => {
    const token = await hs256Token(SECRET, { sub: 'desktop-user', roles: ['user'] });
    const port = await freePort();
    // A parent that starts the hub over pipes (as a client does), prints its pid, then waits.
    const script = `
      const { spawn } = require('node:child_process');
      const hub = spawn(process.execPath, [${JSON.stringify(HATAGO_BIN)}, 'serve', '--http', '--port', '${port}'], { cwd: ${JSON.stringify(dir)}, stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, HATAGO_AUTH_TOKEN: ${JSON.stringify(token)} } });
      console.log('hub pid ' + hub.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawnProcess(process.execPath, ['-e', script]);
    const hubPid = Number((await parent.waitForLine(/hub pid (\d+)/))[1]);
    await parent.waitForLine(/hatago listening on http:\/\/127\.0\.0\.1:\d+\/mcp/, 30000);
    expect(parent.output()).not.toContain('serving MCP over stdio');
    try {
      process.kill(parent.pid, 'SIGKILL'); // the parent alone: the hub is left holding the port unless it notices
      await parent.waitForExit();
      await gone(hubPid);
    } finally {
      if (alive(hubPid)) process.kill(hubPid, 'SIGKILL'); // no orphan even when the assertion fails
    }
  });

  it('a stdio hub whose stdin closes stops by itself, exit code 0', async () => {
    const token = await hs256Token(SECRET, { sub: 'desktop-user', roles: ['user'] });
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--config', file], { cwd: dir, stdin: true, env: { HATAGO_AUTH_TOKEN: token } });
    await proc.waitForLine(/"message":"serving MCP over stdio"/, 30000);
    proc.child.stdin!.end();
    expect(await proc.waitForExit(20000)).toBe(0);
    expect(proc.output()).toMatch(/"message":"stopping"[^\n]*"signal":"stdin closed"/);
  });

  it('says so when the token is set but the config has authentication off', async () => {
    const open = writeConfig({ mcpServers: {}, logging: { file: false }, security: { authorization: { enabled: true, defaultRole: 'readonly' } } });
    dirs.push(open.dir);
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--config', open.file], { cwd: open.dir, stdin: true, env: { HATAGO_AUTH_TOKEN: 'not-checked' } });
    await proc.waitForLine(/"message":"serving MCP over stdio"/, 30000);
    expect(proc.output()).toContain('HATAGO_AUTH_TOKEN is set but authentication is off in this config: the token is not checked and the client is anonymous');
    proc.child.stdin!.end();
    expect(await proc.waitForExit(20000)).toBe(0);
  });

  it('--stdio and --http together are refused', async () => {
    const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', '--stdio', '--http', '--config', file], { cwd: dir });
    expect(await proc.waitForExit()).toBe(1);
    expect(proc.output()).toContain('hatago: --stdio and --http exclude each other [ERR_CONFIG_INVALID]');
  });
});
