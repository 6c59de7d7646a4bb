import { isHatagoError } from '../errors/index.js';
import { escapeControls, printErr } from './terminal.js';

/**
 * Runs a CLI action and turns any failure into one clear line on stderr and
 * exit code 1, without a stack trace (set HATAGO_DEBUG=1 to see one).
 */
export function runCommand<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      // The operator at the terminal gets the detail a client never sees (which file, which reason).
      const message = isHatagoError(err)
        ? `${err.message}${err.detail !== undefined ? ` (${err.detail})` : ''} [${err.code}]`
        : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
      // Messages quote files, inputs and answers: one line, nothing a terminal would run.
      printErr(`hatago: ${escapeControls(message)}\n`);
      if (process.env.HATAGO_DEBUG) printErr(`${(err as Error)?.stack ?? ''}\n`);
      process.exitCode = 1;
      // Start-up failures may leave child processes or timers behind; exit now.
      setImmediate(() => process.exit(1));
    }
  };
}
