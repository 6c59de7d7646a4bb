/** The logger shape the policy engine writes to; the app wires its own in. */
export interface PolicyLogger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** Default: say nothing. The engine never writes to stdout/stderr on its own. */
export const noopLogger: PolicyLogger = { error: noop, warn: noop, info: noop, debug: noop };
