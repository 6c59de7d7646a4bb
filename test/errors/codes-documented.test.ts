import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/errors/index.js';
import { packagePath } from '../../src/util/package-root.js';

// Error codes are public API: every code in the source is documented with its
// status and JSON-RPC code, and the docs list no code the source lacks.
describe('docs/errors.md', () => {
  const rows = readFileSync(packagePath('docs', 'errors.md'), 'utf8')
    .split('\n')
    .map((line) => /^\| `(ERR_[A-Z_]+)` \| (\d+) \| (-?\d+) \|/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ code: m[1]!, status: Number(m[2]), rpc: Number(m[3]) }));

  it('documents exactly the codes in src/errors/codes.ts', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('documents each code with its HTTP status and JSON-RPC code', () => {
    for (const row of rows) {
      const spec = ERROR_CODES[row.code as keyof typeof ERROR_CODES];
      expect({ code: row.code, status: spec.status, rpc: spec.rpc }).toEqual(row);
    }
  });
});
