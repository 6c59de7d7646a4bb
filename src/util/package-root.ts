import { fileURLToPath } from 'node:url';
import path from 'node:path';

// This file sits two levels below the package root both as src/util/*.ts
// (tests) and as dist/util/*.js (runtime), so one relative step finds it.
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packagePath(...segments: string[]): string {
  return path.join(PACKAGE_ROOT, ...segments);
}
