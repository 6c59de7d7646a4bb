// The hub's logger from the first line on, with winston loaded only once the hub is reachable: winston and its
// formats are some 380 KB of JavaScript, a tenth of the way from spawn to the first /health. Until load() (or
// MAX_HOLD_MS, whichever comes first) the lines are held in order, each with the time it was taken, then written
// through winston as they came; every later line goes straight to it. Nothing held is lost: close() loads and flushes, and a process that exits
// before either writes what it holds to stderr, masked, one JSON line each.
import { writeSync } from 'node:fs';
import { logFile, type Logger, type LoggerOptions } from './logger.js';

type Level = 'error' | 'warn' | 'info' | 'debug';
type Meta = Record<string, unknown> | undefined;
/** winston's npm levels, for the lines written at exit without it. */
const RANK: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 5 };

/** winston is loaded after this long even when nobody called load(): a start-up that hangs still shows its lines. */
export const MAX_HOLD_MS = 500;

/** At most this many lines are held; past it they are counted, and the count is written once winston is there. */
export const MAX_HELD_LINES = 1000;

export interface LoggerLater extends Logger {
  /** Loads winston and writes the held lines; resolves once they are written. */
  load(): Promise<void>;
  close(): Promise<void>;
}

interface Held {
  from: Later;
  level: Level;
  message: string;
  meta: Meta;
  at: Date;
}

class Root {
  real: Logger | undefined;
  loading: Promise<void> | undefined;
  held: Held[] = [];
  dropped = 0;
}

class Later implements Logger {
  private target: Logger | undefined;
  constructor(private readonly root: Root, private readonly parent: Later | undefined, private readonly meta: Record<string, unknown>) {}

  /** The winston logger (or child) this one stands for, once loaded. */
  resolve(): Logger | undefined {
    if (!this.root.real) return undefined;
    return (this.target ??= this.parent ? this.parent.resolve()!.child(this.meta as { component: string }) : this.root.real);
  }

  /** This logger's own metadata with its parents' under it, as winston's children merge it. */
  bound(): Record<string, unknown> {
    return this.parent ? { ...this.parent.bound(), ...this.meta } : this.meta;
  }

  private write(level: Level, message: string, meta: Meta): void {
    const real = this.resolve();
    if (real) return real[level](message, meta);
    if (this.root.held.length >= MAX_HELD_LINES) {
      this.root.dropped++;
      return;
    }
    this.root.held.push({ from: this, level, message, meta, at: new Date() });
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.write('error', message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.write('warn', message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.write('info', message, meta);
  }
  debug(message: string, meta?: Record<string, unknown>): void {
    this.write('debug', message, meta);
  }
  child(meta: { component: string } & Record<string, unknown>): Logger {
    return new Later(this.root, this, meta);
  }
}

/** A logger that holds its lines until load() brings winston in (createLogger's options, applied then). */
export function createLoggerLater(opts: LoggerOptions = {}): LoggerLater {
  // The log file's folder now, as createLogger would: a path that cannot be written stops start-up here.
  const file = logFile(opts);
  opts = { ...opts, file: file ?? false };
  const root = new Root();
  const logger = new Later(root, undefined, {});
  const load = (): Promise<void> =>
    (root.loading ??= import('./winston-logger.js').then(({ createLogger, TAKEN_AT }) => {
      const real = createLogger(opts);
      root.real = real;
      const held = root.held;
      root.held = [];
      for (const line of held) line.from.resolve()![line.level](line.message, { ...line.meta, [TAKEN_AT]: line.at } as Record<string, unknown>);
      if (root.dropped > 0) real.warn(`${root.dropped} log line(s) dropped before the logger was ready (at most ${MAX_HELD_LINES} are held)`, { component: 'hub' });
      process.off('exit', flushOnExit);
      clearTimeout(deadline);
    }).catch((err: unknown) => {
      // Lines stay held (bounded) and go to stderr at exit; the reason goes there now.
      clearTimeout(deadline);
      try {
        writeSync(2, `hatago: the logger could not start: ${(err as Error)?.message ?? String(err)}\n`);
      } catch {
        // stderr is gone
      }
      throw err;
    }));
  // The process ends before winston came: what is held goes to stderr as the JSON lines winston would write.
  const flushOnExit = () => {
    if (opts.console === false) return;
    const most = RANK[(opts.level ?? 'info') as Level] ?? RANK.info;
    for (const line of root.held) {
      if (RANK[line.level] > most) continue;
      let text: string;
      try {
        const record = { component: 'hub', ...line.from.bound(), ...line.meta, level: line.level, message: line.message };
        const masked = opts.sanitizer ? opts.sanitizer.value(record) : record;
        text = `${JSON.stringify({ ...(masked as object), timestamp: line.at.toISOString() })}\n`;
      } catch {
        continue; // a line that cannot be masked is dropped, never written as it was
      }
      try {
        writeSync(2, text);
      } catch {
        return; // stderr is gone: nothing else can take the lines
      }
    }
  };
  process.on('exit', flushOnExit);
  const deadline = setTimeout(() => void load().catch(() => undefined), MAX_HOLD_MS);
  deadline.unref();
  return Object.assign(logger, {
    load,
    close: async () => {
      await load().catch(() => undefined); // said on stderr; what is held goes there at exit
      await root.real?.close?.();
    },
  });
}
