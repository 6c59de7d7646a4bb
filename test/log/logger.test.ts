import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log/logger.js';

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
  });
});
