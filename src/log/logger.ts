// The logger's shapes and options. winston, which writes the lines, is loaded by ./winston-logger.ts only
// (createLogger); the hub's own logger loads it once the hub is reachable (./logger-later.ts).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Sanitizer } from './sanitizer.js';

/**
 * The four levels a module writes at: the one minimal logger shape. Modules
 * that only write (hub, upstreams, policy engine, rate-limit stores) accept
 * this or a narrower Pick of it; winston's logger and `Logger` fit it.
 */
export interface LogWriter {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

/** The logger shape every module accepts: winston's, narrowed to what we use. */
export interface Logger extends LogWriter {
  child(meta: { component: string } & Record<string, unknown>): Logger;
  /** Flushes and closes the outputs (createLogger's loggers have it). */
  close?(): Promise<void>;
}

export interface LoggerOptions {
  level?: string;
  /** Log file; `false` for none. Default: logs/hatago.log under the working folder. */
  file?: string | false;
  cwd?: string;
  /** Also write to stderr (default true). */
  console?: boolean;
  /** Masks every line before it is written (src/log/sanitizer.ts). */
  sanitizer?: Sanitizer;
  /** Console lines: `pretty` for people, `json` for machines. Default: consoleFormat() (pretty on a terminal). */
  consoleFormat?: ConsoleFormat;
}

export type ConsoleFormat = 'json' | 'pretty';

/**
 * HATAGO_LOG_FORMAT (`json` or `pretty`) when set, else pretty when stderr is
 * a terminal and JSON otherwise (pipes, files, log collectors). The log file
 * is always JSON.
 */
export function consoleFormat(stderrIsTTY: boolean = process.stderr.isTTY === true, env: NodeJS.ProcessEnv = process.env): ConsoleFormat {
  const wanted = env.HATAGO_LOG_FORMAT;
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return stderrIsTTY ? 'pretty' : 'json';
}

/** The log file's absolute path, its folder made (so a path that cannot be written fails here, at once); null for none. */
export function logFile(opts: Pick<LoggerOptions, 'file' | 'cwd'>): string | null {
  if (opts.file === false) return null;
  const file = path.resolve(opts.cwd ?? process.cwd(), opts.file ?? path.join('logs', 'hatago.log'));
  mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** A logger that drops everything; the default where none is injected. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
