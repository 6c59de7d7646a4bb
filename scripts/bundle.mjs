#!/usr/bin/env node
// The shipped command, `dist/bin/hatago.js`: tsc's output for the CLI (dist/cli/main.js) and what it imports,
// bundled into a few files by esbuild. Node then resolves, reads and compiles a handful of files on the way to
// the first /health instead of some 600 (hatago's own modules and every package's), which was about a third of
// the start-up (docs/health.md). Each dynamic import (a command, the tracing SDK, the console) stays its own
// file, loaded only when it runs. Every file sits directly in dist/bin/, two levels below the package root as
// dist/<folder>/*.js does, so PACKAGE_ROOT finds policies/, schema/ and ui/ the same way.
//
// Left to Node to load from node_modules: packages that read files beside their own sources at run time
// (ioredis reads its package.json) and those hatago loads through createRequire on purpose.
//
//   node scripts/bundle.mjs [packageRoot]
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXTERNAL = ['ioredis', '@open-policy-agent/opa-wasm'];

export async function bundle(root) {
  const outdir = path.join(root, 'dist', 'bin');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { hatago: path.join(root, 'dist', 'cli', 'main.js') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: '[name]-[hash]',
    external: EXTERNAL,
    // Error classes and functions keep their names (error codes and logs read some of them).
    keepNames: true,
    // The CommonJS packages inside call require() for Node's own modules; an ES module has none of its own.
    banner: { js: "import { createRequire as hatagoCreateRequire } from 'node:module'; const require = hatagoCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..')));
}
