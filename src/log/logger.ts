import winston from 'winston';
import path from 'node:path';
import { mkdirSync } from 'node:fs';

/** The logger shape every module accepts: winston's, narrowed to what we use. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  child(meta: { component: string } & Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: string;
  /** Log file; `false` for none. Default: logs/hatago.log under the working folder. */
  file?: string | false;
  cwd?: string;
}

/**
 * Structured JSON lines (timestamp, level, component) to stderr, never to
 * stdout (stdout carries MCP messages in stdio mode), and to a file so
 * `tail -f logs/hatago.log | jq` works.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  // winston's defaultMeta would overwrite a child's `component`; fill it only where missing.
  const defaultComponent = winston.format((info) => {
    info.component ??= 'hub';
    return info;
  });
  const format = winston.format.combine(defaultComponent(), winston.format.timestamp(), winston.format.json());
  const transports: winston.transport[] = [
    new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] }),
  ];
  if (opts.file !== false) {
    const file = path.resolve(opts.cwd ?? process.cwd(), opts.file ?? path.join('logs', 'hatago.log'));
    mkdirSync(path.dirname(file), { recursive: true });
    transports.push(new winston.transports.File({ filename: file }));
  }
  return winston.createLogger({ level: opts.level ?? 'info', format, transports }) as unknown as Logger;
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
