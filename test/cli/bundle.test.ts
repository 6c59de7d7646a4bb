// The shipped command, dist/bin/hatago.js (scripts/bundle.mjs; `npm test` builds it first): every file sits
// directly in dist/bin/ (two levels below the package root, where PACKAGE_ROOT looks), and what `hatago serve`
// loads before its port is bound (the entry's static imports, then the serve command's) leaves out the
// packages the first /health does not need. Each is loaded later, on its own: winston once the hub is
// reachable, re2js on the first masking pattern that needs it, the HTTP app and the SDKs after the port.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { runHatago } from '../helpers/hub-process.js';

const BIN = packagePath('dist', 'bin');
const read = (file: string) => readFileSync(path.join(BIN, file), 'utf8');

/** The files `file` imports statically, and theirs (esbuild's output names siblings as "./x.js"). */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of read(file).matchAll(/^(?:import|export)\s[^;]*?["']\.\/([\w.-]+\.js)["']/gm)) staticClosure(m[1]!, seen);
  return seen;
}

/** The packages esbuild inlined into `files` (it heads each with a `// node_modules/<package>/...` comment). */
function inlinedPackages(files: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const f of files) for (const m of read(f).matchAll(/^\/\/ node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)) out.add(m[1]!);
  return out;
}

describe('the bundled command', () => {
  it('is flat: every file directly in dist/bin/', () => {
    const entries = readdirSync(BIN);
    expect(entries).toContain('hatago.js');
    for (const e of entries) expect(statSync(path.join(BIN, e)).isFile()).toBe(true);
  });

  it('loads none of winston, re2js, express, the MCP SDK, ajv or jose before `serve` binds its port', () => {
    const serve = /import\("\.\/(serve-[\w-]+\.js)"\)/.exec(read('hatago.js'))?.[1];
    expect(serve).toBeDefined();
    const prelisten = new Set([...staticClosure('hatago.js'), ...staticClosure(serve!)]);
    const packages = inlinedPackages(prelisten);
    // What it does load: the CLI parser, the metrics registry, the bundle reader (so the check above reads real output).
    expect([...packages]).toEqual(expect.arrayContaining(['commander', 'prom-client', 'tar']));
    for (const late of ['winston', 're2js', 'express', '@modelcontextprotocol/sdk', 'ajv', 'jose']) expect(packages).not.toContain(late);
    // Nor by name, left to Node (a bare import of a package from a pre-listen file).
    for (const f of prelisten) expect(read(f)).not.toMatch(/from ["'](winston|re2js|express|ajv|jose)["']/);
  });

  it('runs: `hatago --version` prints the package version', async () => {
    const version = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
    expect(await runHatago(['--version'])).toEqual({ code: 0, output: `${version}\n` });
  });
});
