import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/errors/index.js';
import { LIFECYCLE } from '../../src/pipeline/lifecycle.js';
import { packagePath } from '../../src/util/package-root.js';

describe('docs/lifecycle.md', () => {
  const rows = readFileSync(packagePath('docs', 'lifecycle.md'), 'utf8')
    .split('\n')
    .map((line) => /^\| (\d+) \| ([a-z-]+) \| (http|mcp) \| (.+?) \| (.+) \|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);

  it('lists the stages of src/pipeline/lifecycle.ts in the same order', () => {
    expect(rows.map((r) => [r[2], r[3], r[4]])).toEqual(LIFECYCLE.map((s) => [s.name, s.scope, s.does]));
  });

  it('names exactly the failure codes of each stage, all of them real codes', () => {
    LIFECYCLE.forEach((stage, i) => {
      const documented = [...rows[i]![5]!.matchAll(/`(ERR_[A-Z_]+)`/g)].map((m) => m[1]);
      expect(documented).toEqual([...stage.fails]);
      for (const code of stage.fails) expect(ERROR_CODES).toHaveProperty(code);
    });
  });
});
