import winston from 'winston';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { sanitizeFormat } from './sanitize-format.js';
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

const SYMBOL_FREE = (info: Record<string, unknown>) => Object.fromEntries(Object.entries(info).filter(([k]) => !['level', 'message', 'timestamp', 'component'].includes(k)));

/** `11:25:53 info  [hub] hatago listening on ... url=...`: one readable line per record, metadata as key=JSON. */
const prettyLine = winston.format.printf((info) => {
  const time = typeof info.timestamp === 'string' ? info.timestamp.slice(11, 19) : '';
  const meta = Object.entries(SYMBOL_FREE(info as Record<string, unknown>))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${String(info.level).padEnd(5)} [${String(info.component)}] ${String(info.message)}${meta ? ` ${meta}` : ''}`;
});

/**
 * Structured JSON lines (timestamp, level, component) to stderr, never to
 * stdout (stdout carries MCP messages in stdio mode), and to a file so
 * `tail -f logs/hatago.log | jq` works. On a terminal the stderr lines are
 * pretty instead (consoleFormat()).
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  // winston's defaultMeta would overwrite a child's `component`; fill it only where missing.
  const defaultComponent = winston.format((info) => {
    info.component ??= 'hub';
    return info;
  });
  // Sanitize first, so no transport (console or file) ever sees a raw line.
  const format = winston.format.combine(
    defaultComponent(),
    sanitizeFormat({ ...(opts.sanitizer && { sanitizer: opts.sanitizer }) }),
    winston.format.timestamp(),
    winston.format.json(),
  );
  const transports: winston.transport[] = [];
  if (opts.console !== false) {
    const pretty = (opts.consoleFormat ?? consoleFormat()) === 'pretty';
    transports.push(new winston.transports.Console({
      stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
      // Formats after sanitizing: the pretty line is built from already-masked fields.
      ...(pretty && { format: prettyLine }),
    }));
  }
  let fileTransport: winston.transport | null = null;
  if (opts.file !== false) {
    const file = path.resolve(opts.cwd ?? process.cwd(), opts.file ?? path.join('logs', 'hatago.log'));
    mkdirSync(path.dirname(file), { recursive: true });
    fileTransport = new winston.transports.File({ filename: file });
    transports.push(fileTransport);
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  const logger = winston.createLogger({ level: opts.level ?? 'info', format, transports });
  skipDisabledLevels(logger);
  // Resolves once the file has every line (winston writes it asynchronously).
  const close = () =>
    new Promise<void>((resolve) => {
      if (fileTransport) fileTransport.once('finish', () => resolve());
      logger.end();
      if (!fileTransport) resolve();
    });
  return Object.assign(logger, { close }) as unknown as Logger;
}

type LevelMethod = (this: winston.Logger, ...args: unknown[]) => winston.Logger;

/**
 * winston runs the whole format (sanitizer, JSON) on every line and only then
 * lets each transport drop the levels it does not want: a debug line on the
 * request path cost the sanitizer's walk although it was never written.
 * Each level method now asks first whether any output takes that level
 * (isLevelEnabled: the logger's level and the transports', read at the call,
 * so a level changed later applies). Child loggers inherit the methods.
 */
function skipDisabledLevels(logger: winston.Logger): void {
  for (const level of ['error', 'warn', 'info', 'debug'] as const) {
    const write = (logger as unknown as Record<string, LevelMethod>)[level]!;
    Object.defineProperty(logger, level, {
      configurable: true,
      writable: true,
      value: function (this: winston.Logger, ...args: unknown[]) {
        return this.isLevelEnabled(level) ? write.apply(this, args) : this;
      },
    });
  }
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
