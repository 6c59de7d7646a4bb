import { readFileSync } from 'node:fs';
import { packagePath } from './package-root.js';

/** Name and version from the package's own package.json (read once): `hatago --version`, `GET /`. */
export const PACKAGE_INFO: { name: string; version: string } = (() => {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { name?: unknown; version?: unknown };
  return { name: String(pkg.name ?? 'hatago'), version: String(pkg.version ?? '0.0.0') };
})();
