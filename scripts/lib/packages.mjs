// Which Rego packages lack tests: every policy package must have a
// *_test.rego in the same package or in "<package>_test".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { relative, sep } from 'node:path';

function regoFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.rego')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function packageOf(file) {
  const m = /^\s*package\s+([\w.]+)/m.exec(readFileSync(file, 'utf8'));
  return m ? m[1] : null;
}

/** [{ package, files }] of policy packages that no test file covers. */
export function untestedPackages(dir) {
  const policy = new Map();
  const tested = new Set();
  for (const file of regoFiles(dir)) {
    const pkg = packageOf(file);
    if (!pkg) continue;
    if (file.endsWith('_test.rego')) tested.add(pkg.replace(/_test$/, ''));
    else policy.set(pkg, [...(policy.get(pkg) ?? []), relative(dir, file).split(sep).join('/')]);
  }
  return [...policy].filter(([pkg]) => !tested.has(pkg)).map(([pkg, files]) => ({ package: pkg, files }));
}

/**
 * [{ file, package, expected }] of Rego files whose folder does not spell
 * their package: package hatago.ratelimit lives in hatago/ratelimit/, and a
 * test package "<name>_test" beside <name>. (Regal's
 * directory-package-mismatch, which cannot be installed here.)
 */
export function misplacedPackages(dir) {
  const out = [];
  for (const file of regoFiles(dir)) {
    const pkg = packageOf(file);
    if (!pkg) continue;
    const name = file.endsWith('_test.rego') ? pkg.replace(/_test$/, '') : pkg;
    const expected = name.split('.').join('/');
    const folder = relative(dir, file).split(sep).slice(0, -1).join('/');
    if (folder !== expected) out.push({ file: relative(dir, file).split(sep).join('/'), package: pkg, expected: `${expected}/` });
  }
  return out;
}
