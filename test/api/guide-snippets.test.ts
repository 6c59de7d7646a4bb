// The security guide's TypeScript blocks are the package's public API. This
// test takes every ```typescript block of docs/security-guide.md as written,
// puts it in a temp project that imports '@himorishige/hatago/security' from
// the BUILT package (node_modules symlink to the repo root, so the package's
// `exports` and .d.ts files are what resolves), type-checks it with the repo's
// tsc under --strict, runs it with node and asserts what it produced. The only
// additions are placeholders the guide leaves to the reader (HATAGO_AUTH_SECRET,
// a `user` / `request` it uses undeclared) and a probe after the block that
// prints the block's results. Needs `npm run build` first (as the e2e tests).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { AuthenticationManager } from '../../src/security.js';
import { packagePath } from '../../src/util/package-root.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();
const run = promisify(execFile);

const SECRET = 'guide-secret-0123456789-abcdefghijklmnop';
const GUIDE = readFileSync(packagePath('docs', 'security-guide.md'), 'utf8');

interface Block {
  heading: string;
  code: string;
}

/** Each ```typescript block with the nearest heading above it. */
function typescriptBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#+\s+(.*)$/.exec(line);
    if (h) heading = h[1]!.trim();
    if (line.trim() !== '```typescript') continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
    blocks.push({ heading, code: body.join('\n') });
  }
  return blocks;
}

/** What the test adds around one guide block: placeholders before, a probe after. */
interface Variant {
  file: string;
  before?: string;
  after: string;
}

const print = (expr: string) => `\nconsole.log('GUIDE-RESULT ' + JSON.stringify(${expr}))\n`;

const VARIANTS: Record<string, Variant[]> = {
  'Custom Token Generation': [{ file: 'token', after: print('{ token }') }],
  'Permission Model': [
    {
      file: 'permission-model',
      // Asks the shipped policy about each permission the guide lists, for the guide's three roles.
      after: `
import { AuthorizationManager as ProbeAuthz } from '@himorishige/hatago/security'
const probe = new ProbeAuthz()
const answers: Record<string, Record<string, boolean>> = {}
for (const role of ['admin', 'user', 'readonly']) {
  answers[role] = {}
  for (const p of permissions) answers[role][p] = await probe.checkPermission({ id: role, roles: [role] }, p)
}
${print('answers')}`,
    },
  ],
  'Custom Authorization': [
    { file: 'authz-allowed', before: `const user = { id: 'u1', roles: ['user'], allowedServers: ['filesystem'] }\n`, after: print('{ hasPermission }') },
    { file: 'authz-other-server', before: `const user = { id: 'u2', roles: ['user'], allowedServers: ['github'] }\n`, after: print('{ hasPermission }') },
    {
      file: 'authz-no-list',
      before: `const user = { id: 'u3', roles: ['user'] }\n`,
      after: `
const decision = await authzManager.decidePermission(user, 'server:filesystem:tools:call')
${print('{ hasPermission, decision }')}`,
    },
    {
      file: 'authz-readonly',
      before: `const user = { id: 'u4', roles: ['readonly'], allowedServers: ['filesystem'] }\n`,
      after: print('{ hasPermission }'),
    },
  ],
  'Custom Rate Limiting': [
    {
      file: 'ratelimit',
      after: `
const generate = { ip: '10.0.0.1', user: { id: 'alice' }, body: { method: 'prompts/generate' } }
const list = { ip: '10.0.0.1', user: { id: 'alice' }, body: { method: 'tools/list' } }
const generates: (string | null)[] = []
for (let i = 0; i < 11; i++) {
  const o = await rateLimiter.consume(generate)
  generates.push(o.allowed ? null : o.limit?.name ?? 'denied')
}
const listAllowed = (await rateLimiter.consume(list)).allowed
${print('{ generates, listAllowed }')}`,
    },
  ],
  'Request Validation': [
    {
      file: 'validation-ok',
      before: `const request = { method: 'tools/call', params: { name: 'read_file', arguments: { path: '/tmp/a' } } }\n`,
      after: print('{ isValid }'),
    },
    {
      file: 'validation-long-name',
      before: `const request = { method: 'tools/call', params: { name: 'x'.repeat(101), arguments: {} } }\n`,
      after: print('{ isValid }'),
    },
    { file: 'validation-no-name', before: `const request = { method: 'tools/call', params: {} }\n`, after: print('{ isValid }') },
  ],
};

let dir: string;
const results = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  const blocks = typescriptBlocks(GUIDE);
  // The guide's blocks, in order: a new block must get placeholders and assertions here.
  expect(blocks.map((b) => b.heading)).toEqual(Object.keys(VARIANTS));

  dir = mkdtempSync(path.join(tmpdir(), 'hatago-guide-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'guide-snippets', private: true, type: 'module' }));
  mkdirSync(path.join(dir, 'node_modules', '@himorishige'), { recursive: true });
  symlinkSync(packagePath(), path.join(dir, 'node_modules', '@himorishige', 'hatago'), 'dir');
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        typeRoots: [packagePath('node_modules', '@types')],
        types: ['node'],
        skipLibCheck: true,
      },
      include: ['*.ts'],
    }),
  );
  for (const block of blocks) {
    for (const v of VARIANTS[block.heading]!) {
      // Top-level await in the probes needs a module: the guide's import makes each file one.
      writeFileSync(path.join(dir, `${v.file}.ts`), `${v.before ?? ''}${block.code}\n${v.after}`);
    }
  }

  const tsc = packagePath('node_modules', 'typescript', 'bin', 'tsc');
  const check = await run(process.execPath, [tsc, '-p', dir, '--strict', '--noEmit'], { cwd: dir }).catch((e: { stdout?: string }) => e);
  if ('stdout' in check && check.stdout) throw new Error(`the guide's TypeScript does not compile under --strict:\n${check.stdout}`);

  for (const v of Object.values(VARIANTS).flat()) {
    const source = readFileSync(path.join(dir, `${v.file}.ts`), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(path.join(dir, `${v.file}.mjs`), js);
  }
  await Promise.all(
    Object.values(VARIANTS)
      .flat()
      .map(async (v) => {
        const proc = spawnProcess(process.execPath, [path.join(dir, `${v.file}.mjs`)], { cwd: dir, env: { HATAGO_AUTH_SECRET: SECRET } });
        const code = await proc.waitForExit(60000);
        const m = /^GUIDE-RESULT (.*)$/m.exec(proc.output());
        if (code !== 0 || !m) throw new Error(`${v.file}: exit ${code}\n${proc.output()}`);
        results.set(v.file, JSON.parse(m[1]!) as Record<string, unknown>);
      }),
  );
}, 120000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the security guide's TypeScript, as written", () => {
  it('Custom Token Generation: new AuthenticationManager(...).generateToken(...) gives a token string that verifies', async () => {
    const { token } = results.get('token') as { token: unknown };
    expect(typeof token).toBe('string');
    const verifier = await AuthenticationManager.create({ secret: SECRET });
    const p = await verifier.verifyToken(token as string);
    expect(p).toMatchObject({ sub: 'user-123', username: 'john.doe', roles: ['user', 'mcp-client'], permissions: ['mcp:tools', 'mcp:resources'], sessionId: 'session-456' });
    expect(Number(p.claims.exp) - Number(p.claims.iat)).toBe(24 * 3600);
    // Signed with the environment's secret, nothing else.
    const other = await AuthenticationManager.create({ secret: 'another-secret-0123456789-abcdefghijkl' });
    await expect(other.verifyToken(token as string)).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
  });

  it('Permission Model: checkPermission answers every listed form, as the roles grant', () => {
    expect(results.get('permission-model')).toEqual({
      admin: { 'mcp:tools:*': true, 'mcp:resources:read': true, 'mcp:prompts:generate': true, 'server:filesystem:*': true, 'admin:servers:manage': true },
      // user holds mcp:tools:call but not every tool operation, nor a whole server, nor admin.
      user: { 'mcp:tools:*': false, 'mcp:resources:read': true, 'mcp:prompts:generate': true, 'server:filesystem:*': false, 'admin:servers:manage': false },
      readonly: { 'mcp:tools:*': false, 'mcp:resources:read': false, 'mcp:prompts:generate': false, 'server:filesystem:*': false, 'admin:servers:manage': false },
    });
  });

  it('Custom Authorization: the JavaScript rule narrows what the policy allows and never widens it', () => {
    expect(results.get('authz-allowed')).toEqual({ hasPermission: true });
    expect(results.get('authz-other-server')).toEqual({ hasPermission: false });
    // The policy allows role user to call filesystem tools; the guide's rule denies a user without allowedServers.
    const noList = results.get('authz-no-list') as { hasPermission: boolean; decision: { allow: boolean; reasons: { rule: string }[] } };
    expect(noList.hasPermission).toBe(false);
    expect(noList.decision.allow).toBe(false);
    expect(noList.decision.reasons.map((r) => r.rule)).toEqual(['custom-js.server-specific']);
    // The rule returns true for filesystem, but the policy denies readonly a call.
    expect(results.get('authz-readonly')).toEqual({ hasPermission: false });
  });

  it('Custom Rate Limiting: the expensive-operations rule limits generate requests to 10 per 5 minutes', () => {
    const { generates, listAllowed } = results.get('ratelimit') as { generates: (string | null)[]; listAllowed: boolean };
    expect(generates).toEqual([...Array<null>(10).fill(null), 'expensive-operations']);
    expect(listAllowed).toBe(true);
  });

  it('Request Validation: the tool-call rule accepts a valid call and rejects a long or missing name', () => {
    expect(results.get('validation-ok')).toEqual({ isValid: true });
    expect(results.get('validation-long-name')).toEqual({ isValid: false });
    expect(results.get('validation-no-name')).toEqual({ isValid: false });
  });
});
