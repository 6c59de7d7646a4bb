// The winston logger behind every hatago log line: JSON lines (or pretty ones on a terminal) to stderr and to
// logs/hatago.log, each masked by the sanitizer before any output sees it.
import winston from 'winston';
import { consoleFormat, logFile, type Logger, type LoggerOptions } from './logger.js';
import { sanitizeFormat } from './sanitize-format.js';

/** When a line was taken, if before now (a line logger-later.ts held until winston was loaded). */
export const TAKEN_AT = Symbol('hatago.log.takenAt');

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
/** The line's timestamp: when it was taken (held lines keep theirs), else now. A symbol: no caller's metadata can set it. */
const takenAt = winston.format((info) => {
  const at = (info as Record<symbol, unknown>)[TAKEN_AT];
  info.timestamp = at instanceof Date ? at.toISOString() : new Date().toISOString();
  return info;
});

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
    takenAt(),
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
  const file = logFile(opts);
  if (file !== null) {
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

