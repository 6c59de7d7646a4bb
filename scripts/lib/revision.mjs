// The bundle revision: a content hash of the sources that go into the build
// (Rego without tests, plus data files), so the same sources always give the
// same revision and the shipped bundle can be checked for staleness.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const isTestFile = (name) => name.endsWith('_test.rego');
const isSource = (name) =>
  (name.endsWith('.rego') && !isTestFile(name)) || name === 'data.json' || name === 'data.yaml' || name === 'data.yml';

/** Relative, '/'-separated, sorted paths of the build sources under dir. */
export function listSources(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && isSource(entry.name)) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** "sha256:<16 hex>" over every source's path and bytes. */
export function sourceRevision(dir) {
  const h = createHash('sha256');
  for (const rel of listSources(dir)) {
    h.update(rel).update('\0').update(readFileSync(join(dir, rel))).update('\0');
  }
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}
