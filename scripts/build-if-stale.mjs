#!/usr/bin/env node
// `npm start` runs this first: compile and bundle only when something under
// src/ (or tsconfig.json, or the bundle script) is newer than the bundled
// command dist/bin/hatago.js, so a current dist/ starts at once. Usage: node scripts/build-if-stale.mjs [packageRoot]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Newest modification time (ms) of a file or of any file below a folder; 0 when absent. */
function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(p)) max = Math.max(max, newest(path.join(p, entry)));
  return max;
}

/** Why a build is needed, or undefined when dist/ is current. */
export function staleReason(root) {
  const built = path.join(root, 'dist', 'bin', 'hatago.js');
  if (!existsSync(built)) return 'dist/bin/hatago.js is missing';
  const source = Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'tsconfig.json')), newest(path.join(root, 'scripts', 'bundle.mjs')));
  return source > statSync(built).mtimeMs ? 'src/ is newer than dist/' : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const reason = staleReason(root);
  if (reason === undefined) {
    process.stderr.write('dist/ is current: not rebuilding\n');
  } else {
    process.stderr.write(`${reason}: building\n`);
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    process.exitCode = r.status ?? 1;
  }
}
