// The hub's logger before winston is loaded (src/log/logger-later.ts): lines are held in order with the time
// they were taken, written through winston once load() runs, bounded, flushed by close(), and written masked to
// stderr when the process exits before either.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLoggerLater, MAX_HELD_LINES, MAX_HOLD_MS } from '../../src/log/logger-later.js';
import { createSanitizer } from '../../src/log/sanitizer.js';
import { packagePath } from '../../src/util/package-root.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { until } from '../helpers/until.js';

useProcessCleanup();

const readLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createLoggerLater', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'hatago-log-later-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds lines until load(), then writes them in order with the time each was taken; later lines go straight through', async () => {
    const file = path.join(dir, 'hatago.log');
    const logger = createLoggerLater({ file, console: false });
    const policy = logger.child({ component: 'policy' });
    const bundle = policy.child({ component: 'policy', bundle: 'b1' });
    logger.info('first');
    const takenBefore = Date.now();
    policy.warn('second', { revision: 'r1' });
    bundle.info('third');
    logger.debug('below the level');
    // Taken lines are older than the load: their timestamps say when they were taken, not when written.
    const lastTaken = Date.now();
    while (Date.now() <= lastTaken) await new Promise((r) => setImmediate(r));
    const loadedAt = Date.now();
    await logger.load();
    policy.error('after load');
    await logger.close();
    const lines = readLines(file);
    expect(lines.map((l) => [l.level, l.component, l.message])).toEqual([
      ['info', 'hub', 'first'],
      ['warn', 'policy', 'second'],
      ['info', 'policy', 'third'],
      ['error', 'policy', 'after load'],
    ]);
    expect(lines[1]).toMatchObject({ revision: 'r1' });
    expect(lines[2]).toMatchObject({ bundle: 'b1' });
    for (const l of lines.slice(0, 3)) expect(Date.parse(String(l.timestamp))).toBeLessThan(loadedAt);
    expect(Date.parse(String(lines[1]!.timestamp))).toBeGreaterThanOrEqual(takenBefore - 1);
    expect(Date.parse(String(lines[3]!.timestamp))).toBeGreaterThanOrEqual(loadedAt);
  });

  it('masks held lines as it masks the rest (the sanitizer runs when winston writes them)', async () => {
    const file = path.join(dir, 'hatago.log');
    const sanitizer = createSanitizer({});
    sanitizer.addSecrets(['s3cr3t-value-0123456789']);
    const logger = createLoggerLater({ file, console: false, sanitizer });
    logger.info('token s3cr3t-value-0123456789 seen', { password: 'hunter2' });
    await logger.close();
    const [line] = readLines(file);
    expect(JSON.stringify(line)).not.toContain('s3cr3t-value-0123456789');
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });

  it(`writes held lines after ${MAX_HOLD_MS} ms even when load() is never called (a start-up that hangs still shows its lines)`, async () => {
    const file = path.join(dir, 'hatago.log');
    const logger = createLoggerLater({ file, console: false });
    const start = Date.now();
    logger.warn('bundle service not answering yet', { component: 'policy' });
    await until('the held line in the file', () => (existsSync(file) && readFileSync(file, 'utf8').includes('bundle service not answering yet')) || undefined, 10_000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(MAX_HOLD_MS - 5);
    await logger.close();
    expect(readLines(file)).toEqual([expect.objectContaining({ level: 'warn', component: 'policy', message: 'bundle service not answering yet' })]);
  });

  it(`holds at most ${MAX_HELD_LINES} lines and says how many it dropped`, async () => {
    const file = path.join(dir, 'hatago.log');
    const logger = createLoggerLater({ file, console: false });
    for (let i = 0; i < MAX_HELD_LINES + 25; i++) logger.info(`line ${i}`);
    await logger.close();
    const lines = readLines(file);
    expect(lines).toHaveLength(MAX_HELD_LINES + 1);
    expect(lines[MAX_HELD_LINES - 1]!.message).toBe(`line ${MAX_HELD_LINES - 1}`);
    expect(lines[MAX_HELD_LINES]).toMatchObject({ level: 'warn', message: `25 log line(s) dropped before the logger was ready (at most ${MAX_HELD_LINES} are held)` });
  });

  it('a process that exits before load() writes the held lines to stderr, masked, at the configured level', async () => {
    // The built module (npm test builds dist/ first), in a process of its own that exits without loading winston.
    const script = `
      import { createLoggerLater } from ${JSON.stringify(packagePath('dist', 'log', 'logger-later.js'))};
      import { createSanitizer } from ${JSON.stringify(packagePath('dist', 'log', 'sanitizer.js'))};
      const sanitizer = createSanitizer({});
      const logger = createLoggerLater({ file: false, sanitizer });
      logger.child({ component: 'config' }).info('config loaded', { source: 'embedded', apiKey: 'abc-123-secret' });
      logger.debug('not at this level');
      logger.error('failing');
      process.exit(3);`;
    const proc = spawnProcess(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    expect(await proc.waitForExit(30_000)).toBe(3);
    const lines = proc.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.level, l.component, l.message])).toEqual([['info', 'config', 'config loaded'], ['error', 'hub', 'failing']]);
    expect(lines[0]).toMatchObject({ source: 'embedded' });
    expect(JSON.stringify(lines[0])).not.toContain('abc-123-secret');
    expect(typeof lines[1]!.timestamp).toBe('string');
  });
});
