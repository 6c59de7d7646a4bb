// Real parts only: bundles are built by the real scripts with the pinned OPA
// (scripts/lib/opa.mjs finds it, $HATAGO_OPA overrides).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = join(repoRoot, 'test', 'fixtures', 'policies');

export interface ScriptResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one of scripts/*.mjs with node, from the repo root. */
export function runScript(script: string, args: string[]): ScriptResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', script), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'hatago-policy-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Copies a fixture folder so a test can change it. */
export function copyFixture(name: string, into: string): string {
  const dest = join(into, name);
  cpSync(join(fixtures, name), dest, { recursive: true });
  return dest;
}

/** Builds test/fixtures/policies/<name> (or any folder) into outDir/<name>.tar.gz. */
export function buildBundle(src: string, out: string, extra: string[] = []): string {
  const r = runScript('build-policy.mjs', ['--src', src, '--out', out, ...extra]);
  if (r.status !== 0) throw new Error(`build of ${src} failed:\n${r.stderr}${r.stdout}`);
  return out;
}

export function buildFixture(name: string, outDir: string, extra: string[] = []): string {
  return buildBundle(join(fixtures, name), join(outDir, `${name}.tar.gz`), extra);
}

export interface TarEntry {
  path: string;
  body?: string | Buffer;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  linkpath?: string;
}

/** A .tar.gz made entry by entry, for shapes opa build never emits (traversal, links...). */
export function makeTarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const type = e.type ?? 'File';
    const h = new Header({
      path: e.path,
      type,
      size: type === 'File' ? body.length : 0,
      mode: 0o644,
      mtime: new Date(0),
      ...(e.linkpath ? { linkpath: e.linkpath } : {}),
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
