// Stage "validation": a POST body is read once and checked before anything
// reads it (content type, size, UTF-8, JSON, structure limits, the JSON-RPC
// envelope and the params of the method). One message per POST.

import { HatagoError } from '../../errors/index.js';
import { readJsonBody } from '../../http/body.js';
import { isObject } from '../../http/respond.js';
import { DEFAULT_LIMITS, type StructureLimits } from '../../validation/limits.js';
import { MessageValidator } from '../../validation/message-validator.js';
import type { HttpExchange } from '../http-exchange.js';
import type { Stage } from '../stage.js';
import { VALIDATION_STAGE } from './spec.js';

export { VALIDATION_STAGE } from './spec.js';

export function validationStage(limits: StructureLimits = DEFAULT_LIMITS, maxBodyBytes = limits.maxBodyBytes): Stage<HttpExchange> {
  // Envelope and params schemas, compiled once.
  const messages = new MessageValidator();
  return {
    ...VALIDATION_STAGE,
    async run(x) {
      if (x.req.method !== 'POST') return;
      const body = await readJsonBody(x.req, maxBodyBytes, limits);
      messages.check(body);
      if (!isObject(body)) throw new HatagoError('ERR_INVALID_REQUEST');
      x.body = body;
    },
  };
}
