import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log/winston-logger.js';

describe('createLogger', () => {
  it('writes JSON lines with timestamp, level and the child component to the log file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-log-'));
    const logger = createLogger({ cwd: dir });
    logger.child({ component: 'circuit-breaker' }).warn('opened', { server: 'fs' });
    logger.info('plain');
    const file = path.join(dir, 'logs', 'hatago.log');
    let text = '';
    // The file transport writes asynchronously: wait for both lines.
    for (let i = 0; i < 100 && text.split('\n').length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    }
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'circuit-breaker', message: 'opened', server: 'fs' });
    expect(lines[1]).toMatchObject({ level: 'info', component: 'hub', message: 'plain' });
    expect(typeof lines[0]!.timestamp).toBe('string');
    await logger.close!();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a line below the level is dropped before any formatting (its fields are never read); at that level it is written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-log-'));
    try {
      const file = path.join(dir, 'hatago.log');
      for (const level of ['info', 'debug']) {
        let reads = 0;
        // A field that counts how often the format (sanitizer, JSON) reads it.
        const meta = Object.defineProperty({}, 'probe', { enumerable: true, get: () => (reads++, 'value') });
        const logger = createLogger({ level, file, console: false });
        logger.child({ component: 'policy' }).debug('request allowed', meta);
        logger.info(`at ${level}`);
        await logger.close!();
        const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        if (level === 'info') {
          expect(reads).toBe(0);
          expect(lines.map((l) => l.message)).toEqual(['at info']);
        } else {
          expect(reads).toBeGreaterThan(0);
          expect(lines.slice(1).map((l) => [l.level, l.component, l.message, l.probe])).toEqual([['debug', 'policy', 'request allowed', 'value'], ['info', 'hub', 'at debug', undefined]]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
