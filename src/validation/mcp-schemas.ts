// JSON Schemas of what a client may send: the JSON-RPC 2.0 envelope and the
// params of every MCP method the hub serves (2025-11-25 and 2026-07-28).
// Known fields are typed strictly; unknown fields pass, because MCP is
// extensible (`_meta`, new optional fields), and the hub forwards only
// what it understands.

const id = { type: ['string', 'number'] } as const;
const meta = {
  type: 'object',
  properties: { progressToken: { type: ['string', 'number'] } },
} as const;
const objectParams = (properties: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  properties: { _meta: meta, ...properties },
  ...(required.length > 0 && { required }),
});
const cursorParams = objectParams({ cursor: { type: 'string' } });
const uriParams = objectParams({ uri: { type: 'string' } }, ['uri']);

export const REQUEST_SCHEMA = {
  type: 'object',
  properties: {
    jsonrpc: { const: '2.0' },
    id,
    method: { type: 'string', minLength: 1 },
    params: { type: 'object' },
  },
  required: ['jsonrpc', 'id', 'method'],
  additionalProperties: false,
} as const;

export const NOTIFICATION_SCHEMA = {
  type: 'object',
  properties: {
    jsonrpc: { const: '2.0' },
    method: { type: 'string', minLength: 1 },
    params: { type: 'object' },
  },
  required: ['jsonrpc', 'method'],
  additionalProperties: false,
} as const;

/** The client's answer to a request the hub relayed (sampling, elicitation, roots). */
export const RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    jsonrpc: { const: '2.0' },
    id,
    result: { type: 'object' },
    error: {
      type: 'object',
      properties: { code: { type: 'integer' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['jsonrpc', 'id'],
  oneOf: [{ required: ['result'] }, { required: ['error'] }],
  additionalProperties: false,
} as const;

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Params of each request method; methods not listed only need object params. */
export const REQUEST_PARAMS: Record<string, object> = {
  initialize: objectParams(
    {
      protocolVersion: { type: 'string' },
      capabilities: { type: 'object' },
      clientInfo: objectParams({ name: { type: 'string' }, version: { type: 'string' } }, ['name', 'version']),
    },
    ['protocolVersion', 'capabilities', 'clientInfo'],
  ),
  ping: objectParams(),
  'server/discover': objectParams(),
  'tools/list': cursorParams,
  'prompts/list': cursorParams,
  'resources/list': cursorParams,
  'resources/templates/list': cursorParams,
  'tools/call': objectParams({ name: { type: 'string', minLength: 1 }, arguments: { type: 'object' } }, ['name']),
  'prompts/get': objectParams(
    { name: { type: 'string', minLength: 1 }, arguments: { type: 'object', additionalProperties: { type: 'string' } } },
    ['name'],
  ),
  'resources/read': uriParams,
  'resources/subscribe': uriParams,
  'resources/unsubscribe': uriParams,
  'completion/complete': objectParams(
    {
      ref: {
        type: 'object',
        properties: { type: { enum: ['ref/prompt', 'ref/resource'] }, name: { type: 'string' }, uri: { type: 'string' } },
        required: ['type'],
        allOf: [
          { if: { properties: { type: { const: 'ref/prompt' } } }, then: { required: ['name'] } },
          { if: { properties: { type: { const: 'ref/resource' } } }, then: { required: ['uri'] } },
        ],
      },
      argument: objectParams({ name: { type: 'string' }, value: { type: 'string' } }, ['name', 'value']),
      context: objectParams({ arguments: { type: 'object', additionalProperties: { type: 'string' } } }),
    },
    ['ref', 'argument'],
  ),
  'logging/setLevel': objectParams({ level: { enum: LOG_LEVELS } }, ['level']),
};

/** Params of client notifications; other `notifications/*` only need object params. */
export const NOTIFICATION_PARAMS: Record<string, object> = {
  'notifications/initialized': objectParams(),
  'notifications/cancelled': objectParams({ requestId: id, reason: { type: 'string' } }),
  'notifications/progress': objectParams(
    { progressToken: { type: ['string', 'number'] }, progress: { type: 'number' }, total: { type: 'number' }, message: { type: 'string' } },
    ['progressToken', 'progress'],
  ),
  'notifications/roots/list_changed': objectParams(),
};

export const OBJECT_PARAMS = objectParams();
