// Checks one parsed client message: the JSON-RPC 2.0 envelope, then the
// params of its method. Each schema is compiled on its first use and kept
// (compiling all of them at start cost start-up ~0.1 s before the first
// /health could answer).

import type { Ajv, ValidateFunction } from 'ajv';
import { HatagoError } from '../errors/index.js';
import { strictAjv } from './create-ajv.js';
import { describeErrors } from './describe-errors.js';
import { NOTIFICATION_PARAMS, NOTIFICATION_SCHEMA, OBJECT_PARAMS, REQUEST_PARAMS, REQUEST_SCHEMA, RESPONSE_SCHEMA } from './mcp-schemas.js';

export type MessageKind = 'request' | 'notification' | 'response';

const ENVELOPES = { request: REQUEST_SCHEMA, notification: NOTIFICATION_SCHEMA, response: RESPONSE_SCHEMA };

export class MessageValidator {
  private ajv: Ajv | undefined;
  private readonly compiled = new Map<object, ValidateFunction>();
  private readonly requestParams = new Map<string, object>(Object.entries(REQUEST_PARAMS));
  private readonly notificationParams = new Map<string, object>(Object.entries(NOTIFICATION_PARAMS));

  /** The compiled form of one of our schemas, compiled once. */
  private validator(schema: object): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      this.ajv ??= strictAjv();
      this.compiled.set(schema, (v = this.ajv.compile(schema)));
    }
    return v;
  }

  /**
   * Throws ERR_INVALID_REQUEST (envelope) or ERR_MALFORMED_PARAMS (params of
   * the method) with the schema errors in `data.errors`; returns the kind.
   */
  check(message: unknown): MessageKind {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new HatagoError('ERR_INVALID_REQUEST', { message: 'Invalid JSON-RPC request: one message object per POST' });
    }
    const m = message as Record<string, unknown>;
    const kind: MessageKind = !('method' in m) ? 'response' : 'id' in m ? 'request' : 'notification';
    const envelope = this.validator(ENVELOPES[kind]);
    if (!envelope(m)) throw new HatagoError('ERR_INVALID_REQUEST', { data: { errors: describeErrors(envelope.errors) } });
    if (kind === 'response') return kind;
    const method = m.method as string;
    const table = kind === 'request' ? this.requestParams : this.notificationParams;
    const params = this.validator(table.get(method) ?? OBJECT_PARAMS);
    if (m.params !== undefined && !params(m.params)) {
      throw new HatagoError('ERR_MALFORMED_PARAMS', { data: { method, errors: describeErrors(params.errors, '/params') } });
    }
    if (m.params === undefined && table.has(method) && !params({})) {
      throw new HatagoError('ERR_MALFORMED_PARAMS', { data: { method, errors: describeErrors(params.errors, '/params') } });
    }
    return kind;
  }
}
