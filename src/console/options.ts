// The console's settings (`console` in the config, docs/console.md) with
// their defaults, and the start-up checks `serve` and `config validate` share.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { HatagoConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';

export interface ConsoleOptions {
  candidatesDir: string | undefined;
  maxDecisions: number;
  maxInputBytes: number;
  maxStreams: number;
  streamQueue: number;
  heartbeatMs: number;
}

export const CONSOLE_DEFAULTS = { maxDecisions: 500, maxInputBytes: 65_536, maxStreams: 8, streamQueue: 256, heartbeatSeconds: 15 } as const;

export function consoleEnabled(config: Pick<HatagoConfig, 'console'>): boolean {
  return config.console?.enabled === true;
}

export function consoleOptions(config: Pick<HatagoConfig, 'console'>, cwd: string = process.cwd()): ConsoleOptions {
  const c = config.console ?? {};
  return {
    candidatesDir: c.candidates === undefined ? undefined : path.resolve(cwd, c.candidates),
    maxDecisions: c.maxDecisions ?? CONSOLE_DEFAULTS.maxDecisions,
    maxInputBytes: c.maxInputBytes ?? CONSOLE_DEFAULTS.maxInputBytes,
    maxStreams: c.maxStreams ?? CONSOLE_DEFAULTS.maxStreams,
    streamQueue: c.streamQueue ?? CONSOLE_DEFAULTS.streamQueue,
    heartbeatMs: (c.heartbeatSeconds ?? CONSOLE_DEFAULTS.heartbeatSeconds) * 1000,
  };
}

/**
 * What the schema cannot say: the console shows masked decisions and acts on
 * pins, so it is only served to authenticated callers (the policy then
 * decides who), and its candidate folder must exist.
 */
export function checkConsoleConfig(config: Pick<HatagoConfig, 'console' | 'security'>, cwd: string = process.cwd()): void {
  if (!consoleEnabled(config)) return;
  const problems: string[] = [];
  if (config.security.authentication?.enabled !== true) problems.push('console.enabled: the console needs security.authentication.enabled (it shows decisions and approves pins)');
  const dir = consoleOptions(config, cwd).candidatesDir;
  if (dir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) problems.push(`console.candidates: ${dir} is not a folder`);
  }
  if (problems.length > 0) throw new HatagoError('ERR_CONFIG_INVALID', { message: `Invalid config:\n  ${problems.join('\n  ')}`, data: { errors: problems } });
}
