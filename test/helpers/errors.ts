// Catching the HatagoError a call must fail with, so a test can assert on its
// code and data. Anything else thrown is rethrown; no throw at all fails.
import { HatagoError } from '../../src/errors/index.js';

/** The HatagoError `p` rejects with. */
export async function rejectionOf(p: Promise<unknown>): Promise<HatagoError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HatagoError) return err;
    throw err;
  }
  throw new Error('expected a HatagoError');
}

/** The HatagoError `fn` throws. */
export function thrownBy(fn: () => unknown): HatagoError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HatagoError) return err;
    throw err;
  }
  throw new Error('expected a HatagoError');
}
