// Upstream answers, checked before they go back to the client. A malformed
// answer becomes ERR_UPSTREAM_ERROR (data.reason "malformed_response"),
// which the circuit breaker classifies as `protocol` (src/breaker).

import type { Ajv, ValidateFunction } from 'ajv';
import { HatagoError } from '../errors/index.js';
import { strictAjv } from './create-ajv.js';
import { describeErrors } from './describe-errors.js';
import { RESULT_SCHEMAS } from './result-schemas.js';

export class UpstreamResultValidator {
  private ajv: Ajv | undefined;
  private readonly byMethod = new Map<string, ValidateFunction>();

  /** A method's result schema, compiled on its first answer (not at start-up) and kept. */
  private validator(method: string): ValidateFunction | undefined {
    let v = this.byMethod.get(method);
    const schema = (RESULT_SCHEMAS as Record<string, object | undefined>)[method];
    if (!v && schema !== undefined && Object.hasOwn(RESULT_SCHEMAS, method)) {
      this.ajv ??= strictAjv();
      this.byMethod.set(method, (v = this.ajv.compile(schema)));
    }
    return v;
  }

  /** Throws ERR_UPSTREAM_ERROR when `result` is not what `method` must answer; the errors go to the log only. */
  check(server: string, method: string, result: unknown): void {
    const validate = this.validator(method);
    if (typeof result !== 'object' || result === null || Array.isArray(result) || (validate && !validate(result))) {
      const errors = validate?.errors ? describeErrors(validate.errors, '/result') : [{ path: '/result', keyword: 'type', message: 'must be object' }];
      throw new HatagoError('ERR_UPSTREAM_ERROR', {
        message: `Upstream server "${server}" sent a malformed response`,
        data: { server, reason: 'malformed_response' },
        detail: JSON.stringify(errors),
      });
    }
  }
}
