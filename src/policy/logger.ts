import type { LogWriter } from '../log/logger.js';

/** The logger shape the policy engine writes to; the app wires its own in. */
export type PolicyLogger = LogWriter;

const noop = (): void => {};

/** Default: say nothing. The engine never writes to stdout/stderr on its own. */
export const noopLogger: PolicyLogger = { error: noop, warn: noop, info: noop, debug: noop };
