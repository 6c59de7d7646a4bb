// `hatago config encrypt|decrypt|validate` and `hatago serve` with an
// encrypted config or --config-from-env, as real processes. The hub runs
// with the fixture upstream and answers a real MCP SDK client.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureStdio, HATAGO_BIN, runHatago } from '../helpers/hub-process.js';
import { freePort, spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';

useProcessCleanup();

const KEY = 'an operator passphrase for tests';
const UPSTREAM_SECRET = `upstream-secret-${randomBytes(8).toString('hex')}`;

function freshDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'hatago-cli-config-'));
}

/** Exactly one line on stderr/stdout, "hatago: ... [CODE]", and no stack trace. */
function expectOneLineError(output: string, code: string): void {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^hatago: .*\\[${code}\\]$`));
}

function hubConfig(port: number): Record<string, unknown> {
  return {
    mcpServers: { fx: fixtureStdio({ FIXTURE_SECRET: UPSTREAM_SECRET }) },
    http: { host: '127.0.0.1', port },
    security: { authorization: { enabled: true, defaultRole: 'admin' } },
  };
}

async function serve(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<{ proc: TestProcess; mcpUrl: string }> {
  const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'serve', ...args], { cwd: opts.cwd, env: opts.env ?? {} });
  const m = await proc.waitForLine(/hatago listening on (https?:\/\/[^\s"]+)\/mcp/, 30000);
  return { proc, mcpUrl: `${m[1]!}/mcp` };
}

async function toolNames(mcpUrl: string): Promise<string[]> {
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('hatago config encrypt / decrypt', () => {
  const dir = freshDir();
  const plain = path.join(dir, 'config.json');
  const sealed = path.join(dir, 'config.encrypted');
  const plainText = JSON.stringify(hubConfig(3000), null, 2);
  writeFileSync(plain, plainText);

  it('encrypts with the key from --key-env into a 0600 file holding no plaintext', async () => {
    const r = await runHatago(['config', 'encrypt', '--input', plain, '--output', sealed, '--key-env', 'ENCRYPTION_KEY'], { env: { ENCRYPTION_KEY: KEY } });
    expect(r).toEqual({ code: 0, output: '' });
    expect(statSync(sealed).mode & 0o777).toBe(0o600);
    const text = readFileSync(sealed, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ hatago: 'encrypted-config', v: 1, kdf: 'scrypt' });
    expect(text).not.toContain(UPSTREAM_SECRET);
  });

  it('refuses to overwrite without --force, and with --force leaves a 0600 file', async () => {
    const before = readFileSync(sealed, 'utf8');
    const refused = await runHatago(['config', 'encrypt', '--input', plain, '--output', sealed], { env: { HATAGO_CONFIG_KEY: KEY } });
    expect(refused.code).toBe(1);
    expectOneLineError(refused.output, 'ERR_OUTPUT_EXISTS');
    expect(readFileSync(sealed, 'utf8')).toBe(before);

    chmodSync(sealed, 0o644);
    const forced = await runHatago(['config', 'encrypt', '--input', plain, '--output', sealed, '--force'], { env: { HATAGO_CONFIG_KEY: KEY } });
    expect(forced.code).toBe(0);
    expect(statSync(sealed).mode & 0o777).toBe(0o600);
    expect(readFileSync(sealed, 'utf8')).not.toBe(before);
  });

  it('decrypts to stdout, and to a 0600 --output', async () => {
    const out = await runHatago(['config', 'decrypt', '--input', sealed, '--key', KEY]);
    expect(out).toEqual({ code: 0, output: plainText });
    const file = path.join(dir, 'back.json');
    expect((await runHatago(['config', 'decrypt', '--input', sealed, '--output', file], { env: { HATAGO_CONFIG_KEY: KEY } })).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(plainText);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('accepts a raw base64 key', async () => {
    const raw = `base64:${randomBytes(32).toString('base64')}`;
    const out = path.join(dir, 'raw.encrypted');
    expect((await runHatago(['config', 'encrypt', '--input', plain, '--output', out], { env: { HATAGO_CONFIG_KEY: raw } })).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kdf: 'none' });
    expect((await runHatago(['config', 'decrypt', '--input', out], { env: { HATAGO_CONFIG_KEY: raw } })).output).toBe(plainText);
  });

  it.each([
    ['a wrong key', ['--key', 'not the operator passphrase'], {}, 'ERR_CONFIG_DECRYPT'],
    ['no key', [], { HATAGO_CONFIG_KEY: undefined }, 'ERR_CONFIG_KEY_MISSING'],
    ['an unset --key-env', ['--key-env', 'HATAGO_TEST_NO_SUCH_VAR'], {}, 'ERR_CONFIG_KEY_MISSING'],
  ])('decrypt with %s: exit 1, one line', async (_what, args, env, code) => {
    const r = await runHatago(['config', 'decrypt', '--input', sealed, ...args], { env });
    expect(r.code).toBe(1);
    expectOneLineError(r.output, code);
  });

  it('encrypt refuses a short passphrase and an input that is not JSON', async () => {
    const short = await runHatago(['config', 'encrypt', '--input', plain, '--key', 'short']);
    expectOneLineError(short.output, 'ERR_CONFIG_KEY_INVALID');
    const junk = path.join(dir, 'junk.txt');
    writeFileSync(junk, `password=${UPSTREAM_SECRET}`);
    const notJson = await runHatago(['config', 'encrypt', '--input', junk, '--key', KEY]);
    expectOneLineError(notJson.output, 'ERR_CONFIG_INVALID');
    expect(notJson.output).not.toContain(UPSTREAM_SECRET);
  });
});

describe('hatago config validate', () => {
  it('prints ok for a good config, and the key-path errors (exit 1) for a bad one', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify({ http: { port: 3000 }, mcpServers: { r: { url: '${HATAGO_TEST_UP:-http://127.0.0.1:9/mcp}' } } }));
    expect(await runHatago(['config', 'validate', '--config', 'good.json'], { cwd: dir })).toEqual({ code: 0, output: `ok: ${path.join(dir, 'good.json')}\n` });

    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ http: { port: 'x', hots: 1 }, security: { authentication: { enabled: true, secret: '${HATAGO_TEST_UNSET_VAR}' } } }));
    const bad = await runHatago(['config', 'validate', '--config', 'bad.json'], { cwd: dir });
    expect(bad.code).toBe(1);
    // Expansion runs before the schema: the unset variable is reported first, by name and place.
    expect(bad.output).toContain('HATAGO_TEST_UNSET_VAR');
    expect(bad.output).toContain('[ERR_CONFIG_ENV_MISSING]');

    writeFileSync(path.join(dir, 'bad2.json'), JSON.stringify({ http: { port: 'x', hots: 1 } }));
    const bad2 = await runHatago(['config', 'validate', '--config', 'bad2.json'], { cwd: dir });
    expect(bad2.code).toBe(1);
    expect(bad2.output).toContain('/http/port: must be integer');
    expect(bad2.output).toContain('/http/hots: unknown key "hots"');
    expect(bad2.output.trim().endsWith('[ERR_CONFIG_INVALID]')).toBe(true);
  });

  it('validates an encrypted config and a config from the environment', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ http: { port: 3000 } }));
    await runHatago(['config', 'encrypt', '--input', 'c.json', '--output', 'c.enc'], { cwd: dir, env: { HATAGO_CONFIG_KEY: KEY } });
    expect(await runHatago(['config', 'validate', '--config', 'c.enc'], { cwd: dir, env: { HATAGO_CONFIG_KEY: KEY } })).toEqual({ code: 0, output: `ok: ${path.join(dir, 'c.enc')}\n` });
    expect(await runHatago(['config', 'validate', '--config-from-env'], { env: { HATAGO_CONFIG: '{"http":{"port":1}}' } })).toEqual({ code: 0, output: 'ok: HATAGO_CONFIG\n' });
    expectOneLineError((await runHatago(['config', 'validate', '--config-from-env'], { env: {} })).output, 'ERR_CONFIG_FROM_ENV');
  });
});

describe('hatago serve with an encrypted config', () => {
  let dir: string;
  let port: number;
  beforeAll(async () => {
    dir = freshDir();
    port = await freePort();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(hubConfig(port)));
    const r = await runHatago(['config', 'encrypt', '--input', 'config.json', '--output', 'config.encrypted'], { cwd: dir, env: { ENCRYPTION_KEY: KEY, HATAGO_CONFIG_KEY: KEY } });
    expect(r.code).toBe(0);
  });

  it('serves with --decrypt-key, and writes no plaintext anywhere', async () => {
    const runDir = freshDir();
    const hub = await serve(['--config', path.join(dir, 'config.encrypted'), '--decrypt-key', KEY], { cwd: runDir });
    expect(await toolNames(hub.mcpUrl)).toContain('fx_echo');
    await hub.proc.kill('SIGTERM');
    for (const f of filesUnder(runDir)) expect(readFileSync(f, 'utf8')).not.toContain(UPSTREAM_SECRET);
    expect(hub.proc.output()).not.toContain(UPSTREAM_SECRET);
  });

  it('serves with the key in HATAGO_CONFIG_KEY (not on the command line)', async () => {
    const hub = await serve(['--config', path.join(dir, 'config.encrypted')], { cwd: freshDir(), env: { HATAGO_CONFIG_KEY: KEY } });
    expect(await toolNames(hub.mcpUrl)).toContain('fx_echo');
    await hub.proc.kill('SIGTERM');
  });

  it.each([
    ['a wrong key', ['--decrypt-key', 'not the operator passphrase'], 'ERR_CONFIG_DECRYPT'],
    ['no key', [], 'ERR_CONFIG_KEY_MISSING'],
  ])('refuses to start with %s: exit 1, one line', async (_what, args, code) => {
    const r = await runHatago(['serve', '--config', path.join(dir, 'config.encrypted'), ...args], { env: { HATAGO_CONFIG_KEY: undefined } });
    expect(r.code).toBe(1);
    expectOneLineError(r.output, code);
  });

  it('refuses a tampered file: exit 1, one line', async () => {
    const envelope = JSON.parse(readFileSync(path.join(dir, 'config.encrypted'), 'utf8')) as { data: string };
    const data = Buffer.from(envelope.data, 'base64');
    data[data.length - 1] = data[data.length - 1]! ^ 0x80;
    writeFileSync(path.join(dir, 'tampered.encrypted'), JSON.stringify({ ...envelope, data: data.toString('base64') }));
    const r = await runHatago(['serve', '--config', path.join(dir, 'tampered.encrypted'), '--decrypt-key', KEY]);
    expect(r.code).toBe(1);
    expectOneLineError(r.output, 'ERR_CONFIG_DECRYPT');
  });
});

describe('hatago serve --config-from-env', () => {
  it('serves the config in HATAGO_CONFIG', async () => {
    const port = await freePort();
    const hub = await serve(['--config-from-env'], { cwd: freshDir(), env: { HATAGO_CONFIG: JSON.stringify(hubConfig(port)) } });
    expect(hub.mcpUrl).toBe(`http://127.0.0.1:${port}/mcp`);
    expect(await toolNames(hub.mcpUrl)).toContain('fx_echo');
    await hub.proc.kill('SIGTERM');
  });

  it('with only HATAGO_AUTH_SECRET: the embedded default, with tokens required', async () => {
    const port = await freePort();
    const hub = await serve(['--config-from-env', '--port', String(port)], {
      cwd: freshDir(),
      env: { HATAGO_AUTH_SECRET: 'a-hatago-test-secret-of-at-least-32-bytes!' },
    });
    const res = await fetch(hub.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    await hub.proc.kill('SIGTERM');
  });

  it('is one clear line (exit 1) when nothing is set', async () => {
    const r = await runHatago(['serve', '--config-from-env']);
    expect(r.code).toBe(1);
    expectOneLineError(r.output, 'ERR_CONFIG_FROM_ENV');
  });
});
