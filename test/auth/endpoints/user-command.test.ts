// `hatago user hash-password` (the real CLI): password on stdin, hash on
// stdout; and a config whose user holds a plain password stops the hub.
import { describe, expect, it } from '@jest/globals';
import { parsePasswordHash, verifyPassword } from '../../../src/auth/users/index.js';
import { HATAGO_BIN, runHatago, writeConfig } from '../../helpers/hub-process.js';
import { spawnProcess, useProcessCleanup } from '../../helpers/processes.js';

useProcessCleanup();

async function hashViaCli(stdin: string, args: string[] = []): Promise<{ code: number | null; stdout: string; output: string }> {
  const proc = spawnProcess(process.execPath, [HATAGO_BIN, 'user', 'hash-password', ...args], { stdin: true });
  let stdout = '';
  proc.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  proc.child.stdin!.end(stdin);
  const code = await proc.waitForExit(30000);
  return { code, stdout, output: proc.output() };
}

describe('hatago user hash-password', () => {
  it('prints only a scrypt hash of the stdin line (trailing newline dropped) that verifies', async () => {
    const r = await hashViaCli('s3cret password\n', ['--cost', '1024']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+\n$/);
    const hash = parsePasswordHash(r.stdout.trim())!;
    expect(await verifyPassword('s3cret password', hash)).toBe(true);
    expect(await verifyPassword('s3cret password\n', hash)).toBe(false);
  });

  it('refuses an empty stdin and bad parameters: exit 1, one line, no hash', async () => {
    const empty = await hashViaCli('');
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe('');
    expect(empty.output).toMatch(/no password on stdin .*\[ERR_INVALID_PARAMS\]/);
    const bad = await hashViaCli('pw', ['--cost', '1000']);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/power of two/);
  });
});

describe('a plain password in the config', () => {
  it('stops hatago serve with ERR_CONFIG_INVALID and never prints the value', async () => {
    const { dir, file } = writeConfig({
      mcpServers: {},
      security: { authentication: { enabled: true, secret: 'plain-password-test-secret-0123456789-abcdef', users: { alice: { passwordHash: 'hunter2-in-clear', roles: ['user'] } } } },
    });
    const r = await runHatago(['serve', '--config', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/ERR_CONFIG_INVALID/);
    expect(r.output).not.toContain('hunter2-in-clear');
  });
});
