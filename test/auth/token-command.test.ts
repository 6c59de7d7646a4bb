// `hatago token`, run in-process on a real commander program: stdout holds
// the bare token only, and the token verifies with the same settings.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command, CommanderError } from 'commander';
import { decodeJwt } from 'jose';
import { registerTokenCommand } from '../../src/cli/commands/token.js';
import { AuthenticationManager } from '../../src/auth/index.js';
import type { AuthenticationConfig } from '../../src/config/types.js';
import { HatagoError } from '../../src/errors/index.js';
import { NO_ENV, NOW_S, SECRET, makeKeyFiles, now, type KeyFiles } from './fixtures.js';

let keys: KeyFiles;
beforeAll(async () => {
  keys = await makeKeyFiles();
});
afterAll(() => keys.cleanup());

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  configPaths: (string | undefined)[];
  thrown?: unknown;
}

async function run(
  args: string[],
  auth: AuthenticationConfig | undefined | Error,
  env: Record<string, string | undefined> = NO_ENV,
): Promise<Run> {
  const r: Run = { stdout: '', stderr: '', exitCode: undefined, configPaths: [] };
  const program = new Command('hatago')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void (r.stdout += s), writeErr: (s) => void (r.stderr += s) });
  registerTokenCommand(program, {
    loadConfig: async (path) => {
      r.configPaths.push(path);
      if (auth instanceof Error) throw auth;
      return { security: auth === undefined ? {} : { authentication: auth } };
    },
    stdout: (s) => void (r.stdout += s),
    stderr: (s) => void (r.stderr += s),
    setExitCode: (c) => void (r.exitCode = c),
    env,
    now,
  });
  try {
    await program.parseAsync(['token', ...args], { from: 'user' });
  } catch (e) {
    r.thrown = e;
  }
  return r;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/;

describe('hatago token', () => {
  it('prints only the token; it verifies and carries the given claims', async () => {
    const auth: AuthenticationConfig = { enabled: true, secret: SECRET, issuer: 'hatago-hub', audience: ['mcp-clients'] };
    const r = await run(
      ['--sub', 'user-123', '--username', 'john.doe', '--roles', 'user, mcp-client', '--permissions', 'mcp:tools,mcp:resources', '--scope', 'mcp:tools mcp:resources', '--expires-in', '30m', '--config', 'hatago.config.json'],
      auth,
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout).toMatch(JWT);
    expect(r.configPaths).toEqual(['hatago.config.json']);

    const m = await AuthenticationManager.create({ ...auth, now, env: NO_ENV });
    const p = await m.verifyToken(r.stdout.trim());
    expect(p).toMatchObject({
      sub: 'user-123',
      username: 'john.doe',
      roles: ['user', 'mcp-client'],
      permissions: ['mcp:tools', 'mcp:resources'],
      scope: ['mcp:tools', 'mcp:resources'],
    });
    expect(decodeJwt(r.stdout.trim()).exp).toBe(NOW_S + 1800);
  });

  it('RS256 from a key path in the config', async () => {
    const auth: AuthenticationConfig = { enabled: true, algorithms: ['RS256'], privateKeyPath: keys.rsa.privatePath, publicKeyPath: keys.rsa.publicPath };
    const r = await run(['--sub', 'svc'], auth);
    expect(r.stdout).toMatch(JWT);
    const v = await AuthenticationManager.create({ publicKeyPath: keys.rsa.publicPath, now, env: NO_ENV });
    await expect(v.verifyToken(r.stdout.trim())).resolves.toMatchObject({ sub: 'svc', roles: [] });
  });

  it('with no authentication section, the key comes from HATAGO_AUTH_SECRET', async () => {
    const r = await run(['--sub', 'u'], undefined, { HATAGO_AUTH_SECRET: SECRET });
    expect(r.configPaths).toEqual([undefined]);
    expect(r.stdout).toMatch(JWT);
    // Also when the config has authentication disabled (the embedded default).
    const r2 = await run(['--sub', 'u'], { enabled: false }, { HATAGO_AUTH_SECRET: SECRET });
    expect(r2.stdout).toMatch(JWT);
  });

  it('no signing key: one line on stderr, exit code 1, nothing on stdout, no stack', async () => {
    const r = await run(['--sub', 'u'], { enabled: true, publicKeyPath: keys.rsa.publicPath });
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^hatago token: .*\[ERR_CONFIG_INVALID\].*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('config errors and bad options end the same way', async () => {
    const notFound = await run(['--sub', 'u', '--config', 'nope.json'], new HatagoError('ERR_CONFIG_NOT_FOUND'));
    expect([notFound.stdout, notFound.exitCode]).toEqual(['', 1]);
    expect(notFound.stderr).toContain('[ERR_CONFIG_NOT_FOUND]');

    const badTtl = await run(['--sub', 'u', '--expires-in', 'forever'], { enabled: true, secret: SECRET });
    expect([badTtl.stdout, badTtl.exitCode]).toEqual(['', 1]);
    expect(badTtl.stderr).toContain('[ERR_INVALID_PARAMS]');

    const shortSecret = await run(['--sub', 'u'], { enabled: true, secret: 'tiny-s3cr3t' });
    expect([shortSecret.stdout, shortSecret.exitCode]).toEqual(['', 1]);
    expect(shortSecret.stderr).not.toContain('tiny-s3cr3t');
  });

  it('--sub is required (commander refuses, exit code 1)', async () => {
    const r = await run([], { enabled: true, secret: SECRET });
    expect(r.thrown).toBeInstanceOf(CommanderError);
    expect((r.thrown as CommanderError).exitCode).toBe(1);
    expect(r.stderr).toContain('--sub');
    expect(r.stdout).toBe('');
  });
});
