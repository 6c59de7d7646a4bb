// `hatago serve` start-up failures: one clear line on stderr, exit code 1, no
// stack trace, and nothing left running.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fixtureStdio, runHatago, writeConfig } from '../helpers/hub-process.js';

async function expectStartFailure(args: string[], line: RegExp, cwd?: string): Promise<void> {
  const { code, output } = await runHatago(args, cwd ? { cwd } : {});
  expect(code).toBe(1);
  expect(output).toMatch(line);
  expect(output).not.toMatch(/\n\s+at /); // no stack trace
}

describe('hatago serve refuses to start', () => {
  let blocker: Server;
  let port: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it('on an occupied port', async () => {
    const { file } = writeConfig({ mcpServers: {} });
    await expectStartFailure(['serve', '--config', file, '--port', String(port)], new RegExp(`hatago: Port ${port} on 127\\.0\\.0\\.1 is already in use \\[ERR_PORT_IN_USE\\]`));
  });

  it('with a missing policy bundle', async () => {
    const { file } = writeConfig({ mcpServers: {}, policies: { bundle: 'nowhere/bundle.tar.gz' } });
    await expectStartFailure(['serve', '--config', file], /hatago: .*nowhere\/bundle\.tar\.gz.* \[ERR_BUNDLE_NOT_FOUND\]/);
  });

  it('with a log file whose folder cannot be made, naming logging.file', async () => {
    const { dir, file } = writeConfig({ mcpServers: {}, logging: { file: 'hatago.config.json/sub/hatago.log' } });
    try {
      await expectStartFailure(['serve', '--config', file], /^hatago: logging\.file: cannot create the folder of hatago\.config\.json\/sub\/hatago\.log \(ENOTDIR\) \[ERR_CONFIG_INVALID\]$/m, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with an invalid config, naming the key path', async () => {
    const { file } = writeConfig({ mcpServers: { a: { command: 'x', tags: 'not-a-list' } }, http: { prot: 1 } });
    const { code, output } = await runHatago(['serve', '--config', file]);
    expect(code).toBe(1);
    expect(output).toContain('[ERR_CONFIG_INVALID]');
    expect(output).toContain('/http/prot: unknown key "prot"');
    expect(output).toContain('/mcpServers/a/tags: must be array');
  });

  it('with a config file that does not exist', async () => {
    await expectStartFailure(['serve', '--config', '/nonexistent/hatago.json'], /^hatago: Config file not found: \/nonexistent\/hatago\.json \[ERR_CONFIG_NOT_FOUND\]$/m);
  });

  it('with a bad --port', async () => {
    const { file } = writeConfig({ mcpServers: {} });
    await expectStartFailure(['serve', '--config', file, '--port', 'http'], /hatago: --port must be an integer from 0 to 65535, got "http" \[ERR_CONFIG_INVALID\]/);
  });

  it('when two upstreams expose the same name, naming both servers', async () => {
    // Both fixtures expose `echo`; with no prefix they collide.
    const { file } = writeConfig({ mcpServers: { one: { ...fixtureStdio(), prefix: '' }, two: { ...fixtureStdio(), prefix: '' } } });
    const { code, output } = await runHatago(['serve', '--config', file]);
    expect(code).toBe(1);
    expect(output).toMatch(/hatago: .*"one".*"two".*\[ERR_NAME_COLLISION\]|hatago: .*"two".*"one".*\[ERR_NAME_COLLISION\]/);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
