// First contact: `npm start` (prestart) compiles only when src/ is newer than
// dist/; the LICENSE matches package.json; the README links the security
// guide, shipped as docs/security-guide.md.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { license: string; scripts: Record<string, string> };

describe('npm start builds only a stale dist/', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'hatago-prestart-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const marker = path.join(root, 'built');
  // A package whose "build" only leaves a marker, so the test sees whether the script built.
  mkdirSync(path.join(root, 'src'));
  mkdirSync(path.join(root, 'dist', 'bin'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', scripts: { build: `node -e "require('fs').writeFileSync('built','')"` } }));
  writeFileSync(path.join(root, 'src', 'a.ts'), 'export {};\n');
  writeFileSync(path.join(root, 'dist', 'bin', 'hatago.js'), '\n');

  const run = async () => {
    const proc = spawnProcess(process.execPath, [packagePath('scripts', 'build-if-stale.mjs'), root], { cwd: root });
    const code = await proc.waitForExit(60000);
    return { code, output: proc.output() };
  };

  it('is what prestart runs', () => {
    expect(pkg.scripts.prestart).toBe('node scripts/build-if-stale.mjs');
  });

  it('does not build when dist/ is newer than src/', async () => {
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, 'src', 'a.ts'), old, old);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.output).toContain('dist/ is current: not rebuilding');
    expect(existsSync(marker)).toBe(false);
  });

  it('builds when the bundled command is missing', async () => {
    rmSync(path.join(root, 'dist', 'bin', 'hatago.js'));
    const r = await run();
    const built = existsSync(marker);
    rmSync(marker, { force: true });
    writeFileSync(path.join(root, 'dist', 'bin', 'hatago.js'), '\n');
    expect(built).toBe(true);
    expect(r.code).toBe(0);
    expect(r.output).toContain('dist/bin/hatago.js is missing: building');
  });

  it('builds when a file under src/ is newer', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'src', 'a.ts'), later, later);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.output).toContain('src/ is newer than dist/: building');
    expect(existsSync(marker)).toBe(true);
  });
});

describe('licence and guide', () => {
  it('LICENSE is the MIT licence package.json declares', () => {
    expect(pkg.license).toBe('MIT');
    const text = readFileSync(packagePath('LICENSE'), 'utf8');
    expect(text.split('\n')[0]).toBe('MIT License');
    expect(text).toContain('Permission is hereby granted, free of charge');
  });

  it('the README links the security guide, which ships in docs/', () => {
    expect(readFileSync(packagePath('README.md'), 'utf8')).toContain('](docs/security-guide.md)');
    expect(readFileSync(packagePath('docs', 'security-guide.md'), 'utf8')).toMatch(/^# Security Guide\n/);
  });
});
