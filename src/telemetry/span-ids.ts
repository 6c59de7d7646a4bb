// Trace and span ids from a pool of random bytes: one randomFillSync per 4 KB
// (512 span ids) instead of the SDK generator's per-id buffer. The ids are as
// random as the SDK's (crypto, not Math.random); an all-zero id (invalid in W3C
// trace context) is drawn again.
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const POOL = 4096;
const pool = Buffer.allocUnsafe(POOL);
let at = POOL;

function hex(bytes: number): string {
  for (;;) {
    if (at + bytes > POOL) {
      randomFillSync(pool);
      at = 0;
    }
    const id = pool.toString('hex', at, (at += bytes));
    if (!/^0+$/.test(id)) return id;
  }
}

export const pooledIds: IdGenerator = {
  generateTraceId: () => hex(16),
  generateSpanId: () => hex(8),
};
