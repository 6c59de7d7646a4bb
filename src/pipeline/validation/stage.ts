// Stage "validation": a POST body is read once and checked before anything
// reads it (content type, size, UTF-8, JSON, structure limits, the JSON-RPC
// envelope and the params of the method). One message per POST.

import { HatagoError } from '../../errors/index.js';
import { readJsonBody } from '../../http/body.js';
import { isObject } from '../../http/respond.js';
import { DEFAULT_LIMITS, MessageValidator, type StructureLimits } from '../../validation/index.js';
import type { HttpExchange } from '../http-exchange.js';
import type { Stage, StageSpec } from '../stage.js';

export const VALIDATION_STAGE: StageSpec = {
  name: 'validation',
  scope: 'http',
  does: 'the body is read once and checked before anything reads it: content type, size, UTF-8, JSON, depth and size limits, JSON-RPC envelope, params of the method (over stdio: each line, the same checks)',
  fails: ['ERR_UNSUPPORTED_MEDIA_TYPE', 'ERR_BODY_TOO_LARGE', 'ERR_PARSE', 'ERR_LIMIT_EXCEEDED', 'ERR_INVALID_REQUEST', 'ERR_MALFORMED_PARAMS'],
};

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
