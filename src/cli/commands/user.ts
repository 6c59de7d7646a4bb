// `hatago user hash-password`: reads a password from stdin and prints its
// scrypt hash for `security.authentication.users.<name>.passwordHash`.
// stdin, never an argument: arguments end up in shell history and `ps`.
// stdout carries the hash and nothing else: HASH=$(hatago user hash-password < pw.txt).

import type { Command } from 'commander';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, scryptParamsProblem } from '../../auth/users/index.js';
import { HatagoError } from '../../errors/index.js';
import { runCommand } from '../run-command.js';

const MAX_PASSWORD_BYTES = 1024;

function invalid(message: string): HatagoError {
  return new HatagoError('ERR_INVALID_PARAMS', { message });
}

/** The whole of stdin, without one trailing newline (what `echo` and a here-string add). */
async function readPassword(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_PASSWORD_BYTES + 2) throw invalid(`password is longer than ${MAX_PASSWORD_BYTES} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw invalid('no password on stdin (pipe it in: hatago user hash-password < file)');
  if (text.includes('\n')) throw invalid('the password must be one line');
  return text;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw invalid(`'${value}' is not an integer`);
  return n;
}

export function registerUserCommand(program: Command): Command {
  const user = program.command('user').description('manage users of the built-in login endpoint (POST /auth/login)');
  user
    .command('hash-password')
    .description('read a password from stdin, print its scrypt hash for security.authentication.users.<name>.passwordHash')
    .option('--cost <N>', `scrypt N, a power of two (default ${DEFAULT_SCRYPT_PARAMS.N})`, integer)
    .option('--block-size <r>', `scrypt r (default ${DEFAULT_SCRYPT_PARAMS.r})`, integer)
    .option('--parallelization <p>', `scrypt p (default ${DEFAULT_SCRYPT_PARAMS.p})`, integer)
    .action(
      runCommand(async (opts: { cost?: number; blockSize?: number; parallelization?: number }) => {
        const params = { N: opts.cost ?? DEFAULT_SCRYPT_PARAMS.N, r: opts.blockSize ?? DEFAULT_SCRYPT_PARAMS.r, p: opts.parallelization ?? DEFAULT_SCRYPT_PARAMS.p };
        const problem = scryptParamsProblem(params);
        if (problem !== undefined) throw invalid(`scrypt parameters: ${problem}`);
        if (process.stdin.isTTY) process.stderr.write('password (input is echoed; end with Enter, then Ctrl-D): ');
        const password = await readPassword(process.stdin);
        process.stdout.write(`${await hashPassword(password, params)}\n`);
      }),
    );
  return user;
}
