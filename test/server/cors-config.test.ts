// CORS with credentials: `origin: ["*"]` (or "null") together with
// `credentials: true` would echo any site's Origin with
// Allow-Credentials: true. The config validation that `hatago serve` and
// `hatago config validate` share refuses it, with one line naming the key.
import { rmSync } from 'node:fs';
import { runHatago, writeConfig } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configWith(cors: Record<string, unknown>): string {
  const { dir, file } = writeConfig({ mcpServers: {}, http: { host: '127.0.0.1', port: 0 }, security: { network: { cors } } });
  dirs.push(dir);
  return file;
}

// The CLI prints one line: the message's own line breaks come out escaped (\x0a).
const LINE = /^hatago: Invalid config \S+:(\\x0a {2}[^\n]*)?\\x0a {2}security\.network\.cors: origin "\*" cannot be combined with credentials: true \(any site could make credentialed requests\); list the allowed origins \[ERR_CONFIG_INVALID\]$/m;

describe('security.network.cors: a wildcard origin with credentials', () => {
  it('stops hatago serve with exit 1 and one line naming the key path', async () => {
    const file = configWith({ enabled: true, origin: ['*'], credentials: true });
    const { code, output } = await runHatago(['serve', '--config', file]);
    expect(code).toBe(1);
    expect(output).toMatch(LINE);
    expect(output).toContain(`hatago: Invalid config ${file}:`);
    expect(output).not.toContain('hatago listening');
  });

  it('is refused by hatago config validate with the same line', async () => {
    const file = configWith({ enabled: true, origin: ['https://app.company.com', '*'], credentials: true });
    const { code, output } = await runHatago(['config', 'validate', '--config', file]);
    expect(code).toBe(1);
    expect(output).toMatch(LINE);
    expect(output).not.toContain('ok:');
  });

  it('refuses the "null" origin with credentials too', async () => {
    const { code, output } = await runHatago(['config', 'validate', '--config', configWith({ enabled: true, origin: ['null'], credentials: true })]);
    expect(code).toBe(1);
    expect(output).toContain('security.network.cors: origin "null" cannot be combined with credentials: true');
  });

  it.each([
    ['a wildcard without credentials', { enabled: true, origin: ['*'] }],
    ['a wildcard with credentials: false', { enabled: true, origin: ['*'], credentials: false }],
    ['listed origins with credentials', { enabled: true, origin: ['https://app.company.com'], credentials: true }],
  ])('accepts %s', async (_name, cors) => {
    const file = configWith(cors);
    const { code, output } = await runHatago(['config', 'validate', '--config', file]);
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: `ok: ${file}` });
  });
});
