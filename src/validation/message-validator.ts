// Checks one parsed client message: the JSON-RPC 2.0 envelope, then the
// params of its method. Every schema is compiled once, when the validator
// is built (at start).

import type { ValidateFunction } from 'ajv';
import { HatagoError } from '../errors/index.js';
import { strictAjv } from './create-ajv.js';
import { describeErrors } from './describe-errors.js';
import { NOTIFICATION_PARAMS, NOTIFICATION_SCHEMA, OBJECT_PARAMS, REQUEST_PARAMS, REQUEST_SCHEMA, RESPONSE_SCHEMA } from './mcp-schemas.js';

export type MessageKind = 'request' | 'notification' | 'response';

export class MessageValidator {
  private readonly request: ValidateFunction;
  private readonly notification: ValidateFunction;
  private readonly response: ValidateFunction;
  private readonly objectParams: ValidateFunction;
  private readonly requestParams = new Map<string, ValidateFunction>();
  private readonly notificationParams = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = strictAjv();
    this.request = ajv.compile(REQUEST_SCHEMA);
    this.notification = ajv.compile(NOTIFICATION_SCHEMA);
    this.response = ajv.compile(RESPONSE_SCHEMA);
    this.objectParams = ajv.compile(OBJECT_PARAMS);
    for (const [m, s] of Object.entries(REQUEST_PARAMS)) this.requestParams.set(m, ajv.compile(s));
    for (const [m, s] of Object.entries(NOTIFICATION_PARAMS)) this.notificationParams.set(m, ajv.compile(s));
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
    const envelope = kind === 'request' ? this.request : kind === 'notification' ? this.notification : this.response;
    if (!envelope(m)) throw new HatagoError('ERR_INVALID_REQUEST', { data: { errors: describeErrors(envelope.errors) } });
    if (kind === 'response') return kind;
    const method = m.method as string;
    const table = kind === 'request' ? this.requestParams : this.notificationParams;
    const params = table.get(method) ?? this.objectParams;
    if (m.params !== undefined && !params(m.params)) {
      throw new HatagoError('ERR_MALFORMED_PARAMS', { data: { method, errors: describeErrors(params.errors, '/params') } });
    }
    if (m.params === undefined && table.has(method) && !params({})) {
      throw new HatagoError('ERR_MALFORMED_PARAMS', { data: { method, errors: describeErrors(params.errors, '/params') } });
    }
    return kind;
  }
}
